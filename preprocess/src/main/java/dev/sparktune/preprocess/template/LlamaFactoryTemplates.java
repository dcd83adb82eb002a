package dev.sparktune.preprocess.template;

import dev.sparktune.preprocess.template.LlamaFactoryTemplate.Definition;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.Element;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.Kind;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.Special;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.Text;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.ToolFormat;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The LLaMA-Factory templates SparkTune names, each as {@code register_template(name=...)} declares it in
 * hiyouga/LLaMA-Factory {@code src/llamafactory/data/template.py} (0.9.6.dev0), with register_template's defaults
 * for the slots a definition leaves out: format_system and format_user {@code "{{content}}"}, format_observation
 * the user slot, format_assistant {@code "{{content}}" + eos}, format_function the assistant slots.
 * {@code stop_words} and {@code replace_eos} only change the tokenizer's eos and stop ids, which no slot of these
 * templates uses; none has {@code efficient_eos}.
 */
final class LlamaFactoryTemplates {
    private static final Text CONTENT = new Text("{{content}}");
    private static final List<Element> CHATML_USER =
            List.of(new Text("<|im_start|>user\n{{content}}<|im_end|>\n<|im_start|>assistant\n"));
    private static final List<Element> CHATML_ASSISTANT = List.of(new Text("{{content}}<|im_end|>\n"));
    private static final List<Element> CHATML_SYSTEM = List.of(new Text("<|im_start|>system\n{{content}}<|im_end|>\n"));
    private static final List<Element> CHATML_OBSERVATION = List.of(new Text(
            "<|im_start|>user\n<tool_response>\n{{content}}\n</tool_response><|im_end|>\n<|im_start|>assistant\n"));

    /** By name, in the order the docs list them. */
    static final Map<String, Definition> DEFINITIONS = definitions(
            // register_template(name="qwen3", ..., template_class=ReasoningTemplate)
            chatml("qwen3", "", Kind.REASONING),
            chatml("qwen3_nothink", "", Kind.PLAIN),
            chatml("qwen", "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", Kind.PLAIN),
            new Definition(
                    "llama3",
                    List.of(Special.BOS),
                    List.of(new Text("<|start_header_id|>system<|end_header_id|>\n\n{{content}}<|eot_id|>")),
                    List.of(new Text("<|start_header_id|>user<|end_header_id|>\n\n{{content}}<|eot_id|>"
                            + "<|start_header_id|>assistant<|end_header_id|>\n\n")),
                    List.of(new Text("{{content}}<|eot_id|>")),
                    List.of(new Text("{{content}}<|eot_id|>")),
                    List.of(new Text("<|start_header_id|>ipython<|end_header_id|>\n\n{{content}}<|eot_id|>"
                            + "<|start_header_id|>assistant<|end_header_id|>\n\n")),
                    "",
                    ToolFormat.UNSUPPORTED,
                    Kind.PLAIN,
                    List.of("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>")),
            // "mistral tokenizer v3": Llama2Template fuses format_system into the first user message
            new Definition(
                    "mistral",
                    List.of(Special.BOS),
                    List.of(new Text("{{content}}\n\n")),
                    List.of(new Text("[INST] {{content}}[/INST]")),
                    List.of(new Text(" {{content}}"), Special.EOS),
                    List.of(new Text("[TOOL_CALLS] {{content}}"), Special.EOS),
                    List.of(new Text("[TOOL_RESULTS] {\"content\": {{content}}}[/TOOL_RESULTS]")),
                    "",
                    ToolFormat.UNSUPPORTED,
                    Kind.SYSTEM_IN_FIRST_USER,
                    // [INST] is one token from tokenizer v3 on, text before it: both are Mistral's
                    List.of()),
            new Definition(
                    "alpaca",
                    List.of(),
                    List.of(CONTENT),
                    List.of(new Text("### Instruction:\n{{content}}\n\n### Response:\n")),
                    List.of(CONTENT, Special.EOS, new Text("\n\n")),
                    List.of(CONTENT, Special.EOS, new Text("\n\n")),
                    List.of(new Text("### Instruction:\n{{content}}\n\n### Response:\n")),
                    "Below is an instruction that describes a task. Write a response that appropriately completes "
                            + "the request.\n\n",
                    ToolFormat.UNSUPPORTED,
                    Kind.PLAIN,
                    List.of()),
            new Definition(
                    "empty",
                    List.of(),
                    List.of(CONTENT),
                    List.of(CONTENT),
                    List.of(CONTENT),
                    List.of(CONTENT),
                    List.of(CONTENT),
                    "",
                    ToolFormat.UNSUPPORTED,
                    Kind.PLAIN,
                    List.of()));

    private LlamaFactoryTemplates() {}

    /** The ChatML templates of the Qwen family: same slots, the qwen tool format, their own default system. */
    private static Definition chatml(String name, String defaultSystem, Kind kind) {
        return new Definition(
                name,
                List.of(),
                CHATML_SYSTEM,
                CHATML_USER,
                CHATML_ASSISTANT,
                CHATML_ASSISTANT,
                CHATML_OBSERVATION,
                defaultSystem,
                ToolFormat.QWEN,
                kind,
                List.of("<|im_start|>", "<|im_end|>"));
    }

    private static Map<String, Definition> definitions(Definition... definitions) {
        Map<String, Definition> byName = new LinkedHashMap<>();
        for (Definition d : definitions) {
            byName.put(d.name(), d);
        }
        return Collections.unmodifiableMap(byName);
    }
}
