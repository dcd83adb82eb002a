package dev.sparktune.preprocess.template;

import static dev.sparktune.preprocess.template.LlamaFactoryTemplate.Special.BOS;
import static dev.sparktune.preprocess.template.LlamaFactoryTemplate.Special.EOS;

import dev.sparktune.preprocess.template.LlamaFactoryTemplate.Definition;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.Element;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.Kind;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.Special;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.Text;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.ThoughtWords;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.ToolFormat;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The LLaMA-Factory templates SparkTune names, each as {@code register_template(name=...)} declares it in
 * hiyouga/LLaMA-Factory {@code src/llamafactory/data/template.py} (0.9.6.dev0), written with the same slot names;
 * {@link Registration#definition} fills the slots a definition leaves out with register_template's defaults.
 * {@code replace_eos} only changes which token is the tokenizer's eos, and no template here that sets it writes the
 * eos (the golden script refuses such a template), so it is not modelled. {@code stop_words} are the tokens
 * LLaMA-Factory adds to a tokenizer that lacks them: those the slots write are required tokens here (the template is
 * refused on a tokenizer without them); the others (llama3's {@code <|eom_id|>}, gemma2's {@code <eos>}) change only
 * how a text spelling them is tokenized, and are not required, as some tokenizers of the family lack them.
 */
final class LlamaFactoryTemplates {
    private static final String CHATML_USER = "<|im_start|>user\n{{content}}<|im_end|>\n<|im_start|>assistant\n";
    private static final String CHATML_ASSISTANT = "{{content}}<|im_end|>\n";
    private static final String CHATML_SYSTEM = "<|im_start|>system\n{{content}}<|im_end|>\n";
    private static final String QWEN_OBSERVATION =
            "<|im_start|>user\n<tool_response>\n{{content}}\n</tool_response><|im_end|>\n<|im_start|>assistant\n";
    private static final String GEMMA_USER = "<start_of_turn>user\n{{content}}<end_of_turn>\n<start_of_turn>model\n";
    private static final String GEMMA_OBSERVATION =
            "<start_of_turn>tool\n{{content}}<end_of_turn>\n<start_of_turn>model\n";
    private static final String MISTRAL_OBSERVATION = "[TOOL_RESULTS]{\"content\": {{content}}}[/TOOL_RESULTS]";
    private static final String DEEPSEEK3_USER = "<｜User｜>{{content}}<｜Assistant｜>";

    /** By name, in the order the docs list them. */
    static final Map<String, Definition> DEFINITIONS = definitions(
            qwenChatml("qwen3", "", Kind.REASONING),
            qwenChatml("qwen3_nothink", "", Kind.PLAIN),
            qwenChatml("qwen", "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", Kind.PLAIN),
            new Registration("qwen3_5")
                    .user(CHATML_USER)
                    .assistant(CHATML_ASSISTANT)
                    .system(CHATML_SYSTEM)
                    .function(CHATML_ASSISTANT)
                    .observation(QWEN_OBSERVATION)
                    .tokens("<|im_start|>", "<|im_end|>")
                    .toolFormat(ToolFormat.QWEN3_5)
                    .templateClass(Kind.REASONING)
                    .definition(),
            new Registration("qwen3_5_nothink")
                    .user(CHATML_USER)
                    .assistant(CHATML_ASSISTANT)
                    .system(CHATML_SYSTEM)
                    .function(CHATML_ASSISTANT)
                    .observation(QWEN_OBSERVATION)
                    .tokens("<|im_start|>", "<|im_end|>")
                    .toolFormat(ToolFormat.QWEN3_5)
                    .definition(),
            new Registration("llama3")
                    .user("<|start_header_id|>user<|end_header_id|>\n\n{{content}}<|eot_id|>"
                            + "<|start_header_id|>assistant<|end_header_id|>\n\n")
                    .assistant("{{content}}<|eot_id|>")
                    .system("<|start_header_id|>system<|end_header_id|>\n\n{{content}}<|eot_id|>")
                    .function("{{content}}<|eot_id|>")
                    .observation("<|start_header_id|>ipython<|end_header_id|>\n\n{{content}}<|eot_id|>"
                            + "<|start_header_id|>assistant<|end_header_id|>\n\n")
                    .prefix(BOS)
                    .tokens("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>")
                    .definition(),
            new Registration("llama4")
                    .user("<|header_start|>user<|header_end|>\n\n{{content}}<|eot|>"
                            + "<|header_start|>assistant<|header_end|>\n\n")
                    .assistant("{{content}}<|eot|>")
                    .system("<|header_start|>system<|header_end|>\n\n{{content}}<|eot|>")
                    .function("{{content}}<|eot|>")
                    .observation("<|header_start|>ipython<|header_end|>\n\n{{content}}<|eot|>"
                            + "<|header_start|>assistant<|header_end|>\n\n")
                    .prefix(BOS)
                    .tokens("<|header_start|>", "<|header_end|>", "<|eot|>")
                    .definition(),
            // "[INST]" is plain text to the Llama 2 tokenizer
            new Registration("llama2")
                    .user(BOS, "[INST] {{content}} [/INST]")
                    .system("<<SYS>>\n{{content}}\n<</SYS>>\n\n")
                    .templateClass(Kind.SYSTEM_IN_FIRST_USER)
                    .definition(),
            // "mistral tokenizer v3": [INST] is one token from tokenizer v3 on, text before it: both are Mistral's
            new Registration("mistral")
                    .user("[INST] {{content}}[/INST]")
                    .assistant(" {{content}}", EOS)
                    .system("{{content}}\n\n")
                    .function("[TOOL_CALLS] {{content}}", EOS)
                    .observation("[TOOL_RESULTS] {\"content\": {{content}}}[/TOOL_RESULTS]")
                    .prefix(BOS)
                    .templateClass(Kind.SYSTEM_IN_FIRST_USER)
                    .definition(),
            // mistral_small / ministral: the mistral tool format is not modelled (tools refused)
            new Registration("mistral_small")
                    .user("[INST]{{content}}[/INST]")
                    .system("[SYSTEM_PROMPT]{{content}}[/SYSTEM_PROMPT]")
                    .function("[TOOL_CALLS]{{content}}", EOS)
                    .observation(MISTRAL_OBSERVATION)
                    .prefix(BOS)
                    .tokens("[INST]", "[/INST]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[TOOL_CALLS]")
                    .tokens("[TOOL_RESULTS]", "[/TOOL_RESULTS]")
                    .definition(),
            new Registration("ministral")
                    .user("[INST]{{content}}[/INST]")
                    .system("{{content}}\n\n")
                    .function("[TOOL_CALLS]{{content}}", EOS)
                    .observation(MISTRAL_OBSERVATION)
                    .prefix(BOS)
                    .tokens("[INST]", "[/INST]", "[TOOL_CALLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]")
                    .templateClass(Kind.SYSTEM_IN_FIRST_USER)
                    .definition(),
            new Registration("gemma")
                    .user(GEMMA_USER)
                    .assistant("{{content}}<end_of_turn>\n")
                    .system("{{content}}\n\n")
                    .observation(GEMMA_OBSERVATION)
                    .prefix(BOS)
                    .tokens("<start_of_turn>", "<end_of_turn>")
                    .templateClass(Kind.SYSTEM_IN_FIRST_USER)
                    .definition(),
            new Registration("gemma2")
                    .user(GEMMA_USER)
                    .assistant("{{content}}<end_of_turn>\n")
                    .system("{{content}}\n\n")
                    .observation(GEMMA_OBSERVATION)
                    .prefix(BOS)
                    .efficientEos()
                    .tokens("<start_of_turn>", "<end_of_turn>")
                    .templateClass(Kind.SYSTEM_IN_FIRST_USER)
                    .definition(),
            // gemma3 text only: its mm_plugin changes nothing without images
            new Registration("gemma3")
                    .user(GEMMA_USER)
                    .assistant("{{content}}<end_of_turn>\n")
                    .system("{{content}}\n\n")
                    .observation(GEMMA_OBSERVATION)
                    .prefix(BOS)
                    .tokens("<start_of_turn>", "<end_of_turn>")
                    .templateClass(Kind.SYSTEM_IN_FIRST_USER)
                    .definition(),
            new Registration("phi")
                    .user("<|user|>\n{{content}}<|end|>\n<|assistant|>\n")
                    .assistant("{{content}}<|end|>\n")
                    .system("<|system|>\n{{content}}<|end|>\n")
                    .tokens("<|user|>", "<|assistant|>", "<|system|>", "<|end|>")
                    .definition(),
            new Registration("phi4")
                    .user("<|im_start|>user<|im_sep|>{{content}}<|im_end|><|im_start|>assistant<|im_sep|>")
                    .assistant("{{content}}<|im_end|>")
                    .system("<|im_start|>system<|im_sep|>{{content}}<|im_end|>")
                    .tokens("<|im_start|>", "<|im_sep|>", "<|im_end|>")
                    .definition(),
            // phi4_mini's format_tools (<|tool|>...) is for tool definitions, which are refused
            new Registration("phi4_mini")
                    .user("<|user|>{{content}}<|end|><|assistant|>")
                    .assistant("{{content}}<|end|>")
                    .system("<|system|>{{content}}<|end|>")
                    .tokens("<|user|>", "<|assistant|>", "<|system|>", "<|end|>")
                    .definition(),
            new Registration("deepseek")
                    .user("User: {{content}}\n\nAssistant:")
                    .system("{{content}}\n\n")
                    .prefix(BOS)
                    .definition(),
            new Registration("deepseek3")
                    .user(DEEPSEEK3_USER)
                    .prefix(BOS)
                    .tokens("<｜User｜>", "<｜Assistant｜>")
                    .definition(),
            new Registration("deepseekr1")
                    .user(DEEPSEEK3_USER)
                    .prefix(BOS)
                    .tokens("<｜User｜>", "<｜Assistant｜>")
                    .templateClass(Kind.REASONING)
                    .definition(),
            new Registration("chatml")
                    .user(CHATML_USER)
                    .assistant(CHATML_ASSISTANT)
                    .system(CHATML_SYSTEM)
                    .observation("<|im_start|>tool\n{{content}}<|im_end|>\n<|im_start|>assistant\n")
                    .tokens("<|im_start|>", "<|im_end|>")
                    .definition(),
            new Registration("yi")
                    .user(CHATML_USER)
                    .assistant(CHATML_ASSISTANT)
                    .system(CHATML_SYSTEM)
                    .tokens("<|im_start|>", "<|im_end|>")
                    .definition(),
            new Registration("smollm2")
                    .user(CHATML_USER)
                    .assistant(CHATML_ASSISTANT)
                    .system(CHATML_SYSTEM)
                    .defaultSystem("You are a helpful AI assistant named SmolLM, trained by Hugging Face.")
                    .tokens("<|im_start|>", "<|im_end|>")
                    .definition(),
            // the glm4 tool format is not modelled (tools refused)
            new Registration("glm4")
                    .user("<|user|>\n{{content}}<|assistant|>")
                    .assistant("\n{{content}}")
                    .system("<|system|>\n{{content}}")
                    .function("{{content}}")
                    .observation("<|observation|>\n{{content}}<|assistant|>")
                    .prefix("[gMASK]<sop>")
                    .efficientEos()
                    .tokens("[gMASK]", "<sop>", "<|user|>", "<|assistant|>", "<|system|>", "<|observation|>")
                    .definition(),
            new Registration("granite3")
                    .user("<|start_of_role|>user<|end_of_role|>{{content}}<|end_of_text|>\n"
                            + "<|start_of_role|>assistant<|end_of_role|>")
                    .assistant("{{content}}<|end_of_text|>\n")
                    .system("<|start_of_role|>system<|end_of_role|>{{content}}<|end_of_text|>\n")
                    .tokens("<|start_of_role|>", "<|end_of_role|>", "<|end_of_text|>")
                    .definition(),
            // "<|user|>" is plain text to the OLMo and Zephyr tokenizers
            new Registration("olmo")
                    .user("<|user|>\n{{content}}<|assistant|>\n")
                    .prefix(EOS)
                    .definition(),
            new Registration("zephyr")
                    .user("<|user|>\n{{content}}", EOS, "<|assistant|>\n")
                    .system("<|system|>\n{{content}}", EOS)
                    .defaultSystem("You are Zephyr, a helpful assistant.")
                    .definition(),
            new Registration("vicuna")
                    .user("USER: {{content}} ASSISTANT:")
                    .defaultSystem("A chat between a curious user and an artificial intelligence assistant. "
                            + "The assistant gives helpful, detailed, and polite answers to the user's questions.")
                    .definition(),
            new Registration("gpt_oss")
                    .user("<|start|>user<|message|>{{content}}<|end|><|start|>assistant")
                    .assistant("{{content}}")
                    .system("<|start|>system<|message|>{{content}}<|end|>")
                    .defaultSystem("You are ChatGPT, a large language model trained by OpenAI.")
                    .thoughtWords(
                            "<|channel|>analysis<|message|>", "<|end|><|start|>assistant<|channel|>final<|message|>")
                    .efficientEos()
                    .tokens("<|start|>", "<|message|>", "<|end|>", "<|channel|>")
                    .templateClass(Kind.REASONING)
                    .definition(),
            new Registration("default")
                    .user("Human: {{content}}", EOS, "\nAssistant:")
                    .assistant("{{content}}", EOS, "\n")
                    .system("System: {{content}}", EOS, "\n")
                    .definition(),
            new Registration("alpaca")
                    .user("### Instruction:\n{{content}}\n\n### Response:\n")
                    .assistant("{{content}}", EOS, "\n\n")
                    .defaultSystem("Below is an instruction that describes a task. Write a response that "
                            + "appropriately completes the request.\n\n")
                    .definition(),
            new Registration("empty").assistant("{{content}}").definition());

    private LlamaFactoryTemplates() {}

    /** The ChatML templates of the Qwen family: same slots, the qwen tool format, their own default system. */
    private static Definition qwenChatml(String name, String defaultSystem, Kind kind) {
        return new Registration(name)
                .user(CHATML_USER)
                .assistant(CHATML_ASSISTANT)
                .system(CHATML_SYSTEM)
                .function(CHATML_ASSISTANT)
                .observation(QWEN_OBSERVATION)
                .defaultSystem(defaultSystem)
                .tokens("<|im_start|>", "<|im_end|>")
                .toolFormat(ToolFormat.QWEN)
                .templateClass(kind)
                .definition();
    }

    private static Map<String, Definition> definitions(Definition... definitions) {
        Map<String, Definition> byName = new LinkedHashMap<>();
        for (Definition d : definitions) {
            if (byName.put(d.name(), d) != null) {
                throw new IllegalStateException("template " + d.name() + " is defined twice");
            }
        }
        return Collections.unmodifiableMap(byName);
    }

    /**
     * One {@code register_template} call: slots are texts holding {@code {{content}}} and {@link Special} tokens,
     * as LLaMA-Factory's StringFormatter slots; what is not set takes register_template's default.
     */
    private static final class Registration {
        private final String name;
        private List<Element> user;
        private List<Element> assistant;
        private List<Element> system;
        private List<Element> function;
        private List<Element> observation;
        private List<Element> prefix = List.of();
        private String defaultSystem = "";
        private ThoughtWords thoughtWords = ThoughtWords.THINK;
        private boolean efficientEos;
        private ToolFormat toolFormat = ToolFormat.UNSUPPORTED;
        private Kind kind = Kind.PLAIN;
        private final List<String> tokens = new ArrayList<>();

        Registration(String name) {
            this.name = name;
        }

        Registration user(Object... slots) {
            user = slots(slots);
            return this;
        }

        Registration assistant(Object... slots) {
            assistant = slots(slots);
            return this;
        }

        Registration system(Object... slots) {
            system = slots(slots);
            return this;
        }

        Registration function(Object... slots) {
            function = slots(slots);
            return this;
        }

        Registration observation(Object... slots) {
            observation = slots(slots);
            return this;
        }

        Registration prefix(Object... slots) {
            prefix = slots(slots);
            return this;
        }

        Registration defaultSystem(String text) {
            defaultSystem = text;
            return this;
        }

        /** Special tokens the slots write that the model family's tokenizers hold as added tokens. */
        Registration tokens(String... added) {
            for (String t : added) {
                if (!tokens.contains(t)) {
                    tokens.add(t);
                }
            }
            return this;
        }

        Registration thoughtWords(String start, String end) {
            thoughtWords = new ThoughtWords(start, end);
            return this;
        }

        Registration efficientEos() {
            efficientEos = true;
            return this;
        }

        Registration toolFormat(ToolFormat format) {
            toolFormat = format;
            return this;
        }

        Registration templateClass(Kind templateClass) {
            kind = templateClass;
            return this;
        }

        /**
         * register_template's defaults: user and system {@code {{content}}}; assistant {@code {{content}}} and the
         * eos (without it when efficient_eos); function the assistant slots; observation the user slots.
         */
        Definition definition() {
            List<Element> content = List.of(new Text("{{content}}"));
            List<Element> assistantSlots =
                    assistant != null ? assistant : efficientEos ? content : List.of(new Text("{{content}}"), EOS);
            List<Element> userSlots = user != null ? user : content;
            return new Definition(
                    name,
                    prefix,
                    system != null ? system : content,
                    userSlots,
                    assistantSlots,
                    function != null ? function : assistantSlots,
                    observation != null ? observation : userSlots,
                    defaultSystem,
                    toolFormat,
                    kind,
                    thoughtWords,
                    efficientEos,
                    tokens);
        }

        private static List<Element> slots(Object... slots) {
            List<Element> elements = new ArrayList<>(slots.length);
            for (Object slot : slots) {
                elements.add(slot instanceof Special s ? s : new Text((String) slot));
            }
            return elements;
        }
    }
}
