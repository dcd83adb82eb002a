package dev.sparktune.preprocess.template;

import static dev.sparktune.preprocess.template.LlamaFactoryTemplate.Special.BOS;
import static dev.sparktune.preprocess.template.LlamaFactoryTemplate.Special.EOS;
import static dev.sparktune.preprocess.template.LlamaFactoryTemplates.Slot.ASSISTANT;
import static dev.sparktune.preprocess.template.LlamaFactoryTemplates.Slot.FUNCTION;
import static dev.sparktune.preprocess.template.LlamaFactoryTemplates.Slot.OBSERVATION;
import static dev.sparktune.preprocess.template.LlamaFactoryTemplates.Slot.PREFIX;
import static dev.sparktune.preprocess.template.LlamaFactoryTemplates.Slot.SYSTEM;
import static dev.sparktune.preprocess.template.LlamaFactoryTemplates.Slot.TOOLS;
import static dev.sparktune.preprocess.template.LlamaFactoryTemplates.Slot.USER;

import dev.sparktune.preprocess.template.LlamaFactoryTemplate.Definition;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.Element;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.Kind;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.Special;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.Text;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate.ThoughtWords;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The LLaMA-Factory templates SparkTune names, each as {@code register_template(name=...)} declares it in
 * hiyouga/LLaMA-Factory {@code src/llamafactory/data/template.py} (0.9.6.dev0), written with the same slot names;
 * {@link Registration#definition} fills the slots a definition leaves out with register_template's defaults, among
 * them the {@code default} tool format. {@code replace_eos} makes the first stop word the tokenizer's eos
 * ({@link LlamaFactoryTemplate#eosToken}); no template here that sets it writes the eos in a slot, so it shows in the
 * eos stage pt appends and the table's eos id (where generation stops). {@code stop_words} are the tokens
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
    private static final String MISTRAL_OBSERVATION = "[TOOL_RESULTS]{\"content\": {{content}}}[/TOOL_RESULTS]";
    /** What the mistral tool format and the function and observation slots write, as Mistral's tokens. */
    private static final String[] MISTRAL_TOOL_TOKENS = {
        "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]", "[TOOL_CALLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]"
    };

    private static final String DEEPSEEK3_USER = "<｜User｜>{{content}}<｜Assistant｜>";

    /** By name, in the order the docs list them. */
    static final Map<String, Definition> DEFINITIONS = definitions(
            qwenChatml("qwen3", ToolFormat.QWEN, Kind.REASONING).definition(),
            qwenChatml("qwen3_nothink", ToolFormat.QWEN, Kind.PLAIN).definition(),
            qwenChatml("qwen", ToolFormat.QWEN, Kind.PLAIN)
                    .defaultSystem("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
                    .definition(),
            qwenChatml("qwen3_5", ToolFormat.QWEN3_5, Kind.REASONING).definition(),
            qwenChatml("qwen3_5_nothink", ToolFormat.QWEN3_5, Kind.PLAIN).definition(),
            new Registration("llama3")
                    .format(
                            USER,
                            "<|start_header_id|>user<|end_header_id|>\n\n{{content}}<|eot_id|>"
                                    + "<|start_header_id|>assistant<|end_header_id|>\n\n")
                    .format(ASSISTANT, "{{content}}<|eot_id|>")
                    .format(SYSTEM, "<|start_header_id|>system<|end_header_id|>\n\n{{content}}<|eot_id|>")
                    .format(FUNCTION, "{{content}}<|eot_id|>")
                    .format(
                            OBSERVATION,
                            "<|start_header_id|>ipython<|end_header_id|>\n\n{{content}}<|eot_id|>"
                                    + "<|start_header_id|>assistant<|end_header_id|>\n\n")
                    .format(PREFIX, BOS)
                    .toolFormat(ToolFormat.LLAMA3)
                    .replaceEos("<|eot_id|>")
                    .tokens("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>")
                    .definition(),
            new Registration("llama4")
                    .format(
                            USER,
                            "<|header_start|>user<|header_end|>\n\n{{content}}<|eot|>"
                                    + "<|header_start|>assistant<|header_end|>\n\n")
                    .format(ASSISTANT, "{{content}}<|eot|>")
                    .format(SYSTEM, "<|header_start|>system<|header_end|>\n\n{{content}}<|eot|>")
                    .format(FUNCTION, "{{content}}<|eot|>")
                    .format(
                            OBSERVATION,
                            "<|header_start|>ipython<|header_end|>\n\n{{content}}<|eot|>"
                                    + "<|header_start|>assistant<|header_end|>\n\n")
                    .format(PREFIX, BOS)
                    .toolFormat(ToolFormat.LLAMA3)
                    .replaceEos("<|eot|>")
                    .tokens("<|header_start|>", "<|header_end|>", "<|eot|>")
                    .definition(),
            // "[INST]" is plain text to the Llama 2 tokenizer
            new Registration("llama2")
                    .format(USER, BOS, "[INST] {{content}} [/INST]")
                    .format(SYSTEM, "<<SYS>>\n{{content}}\n<</SYS>>\n\n")
                    .templateClass(Kind.SYSTEM_IN_FIRST_USER)
                    .definition(),
            // "mistral tokenizer v3": [INST] is one token from tokenizer v3 on, text before it: both are Mistral's
            new Registration("mistral")
                    .format(USER, "[INST] {{content}}[/INST]")
                    .format(ASSISTANT, " {{content}}", EOS)
                    .format(SYSTEM, "{{content}}\n\n")
                    .format(FUNCTION, "[TOOL_CALLS] {{content}}", EOS)
                    .format(OBSERVATION, "[TOOL_RESULTS] {\"content\": {{content}}}[/TOOL_RESULTS]")
                    .format(PREFIX, BOS)
                    .toolFormat(ToolFormat.MISTRAL)
                    .templateClass(Kind.SYSTEM_IN_FIRST_USER)
                    .definition(),
            new Registration("mistral_small")
                    .format(USER, "[INST]{{content}}[/INST]")
                    .format(SYSTEM, "[SYSTEM_PROMPT]{{content}}[/SYSTEM_PROMPT]")
                    .format(FUNCTION, "[TOOL_CALLS]{{content}}", EOS)
                    .format(OBSERVATION, MISTRAL_OBSERVATION)
                    .format(PREFIX, BOS)
                    .toolFormat(ToolFormat.MISTRAL)
                    .tokens("[INST]", "[/INST]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]")
                    .tokens(MISTRAL_TOOL_TOKENS)
                    .definition(),
            new Registration("ministral")
                    .format(USER, "[INST]{{content}}[/INST]")
                    .format(SYSTEM, "{{content}}\n\n")
                    .format(FUNCTION, "[TOOL_CALLS]{{content}}", EOS)
                    .format(OBSERVATION, MISTRAL_OBSERVATION)
                    .format(PREFIX, BOS)
                    .toolFormat(ToolFormat.MISTRAL)
                    .tokens("[INST]", "[/INST]")
                    .tokens(MISTRAL_TOOL_TOKENS)
                    .templateClass(Kind.SYSTEM_IN_FIRST_USER)
                    .definition(),
            gemma("gemma").replaceEos("<end_of_turn>").definition(),
            gemma("gemma2").efficientEos().definition(),
            // gemma3 text only: its mm_plugin changes nothing without images
            gemma("gemma3").replaceEos("<end_of_turn>").definition(),
            new Registration("phi")
                    .format(USER, "<|user|>\n{{content}}<|end|>\n<|assistant|>\n")
                    .format(ASSISTANT, "{{content}}<|end|>\n")
                    .format(SYSTEM, "<|system|>\n{{content}}<|end|>\n")
                    .replaceEos("<|end|>")
                    .tokens("<|user|>", "<|assistant|>", "<|system|>", "<|end|>")
                    .definition(),
            new Registration("phi4")
                    .format(USER, "<|im_start|>user<|im_sep|>{{content}}<|im_end|><|im_start|>assistant<|im_sep|>")
                    .format(ASSISTANT, "{{content}}<|im_end|>")
                    .format(SYSTEM, "<|im_start|>system<|im_sep|>{{content}}<|im_end|>")
                    .replaceEos("<|im_end|>")
                    .tokens("<|im_start|>", "<|im_sep|>", "<|im_end|>")
                    .definition(),
            // the tools text as the dataset gives it; calls in the default tool format
            new Registration("phi4_mini")
                    .format(USER, "<|user|>{{content}}<|end|><|assistant|>")
                    .format(ASSISTANT, "{{content}}<|end|>")
                    .format(SYSTEM, "<|system|>{{content}}<|end|>")
                    .format(TOOLS, "<|tool|>{{content}}<|/tool|>")
                    .replaceEos("<|end|>")
                    .tokens("<|user|>", "<|assistant|>", "<|system|>", "<|end|>", "<|tool|>", "<|/tool|>")
                    .definition(),
            new Registration("deepseek")
                    .format(USER, "User: {{content}}\n\nAssistant:")
                    .format(SYSTEM, "{{content}}\n\n")
                    .format(PREFIX, BOS)
                    .definition(),
            new Registration("deepseek3")
                    .format(USER, DEEPSEEK3_USER)
                    .format(PREFIX, BOS)
                    .tokens("<｜User｜>", "<｜Assistant｜>")
                    .definition(),
            new Registration("deepseekr1")
                    .format(USER, DEEPSEEK3_USER)
                    .format(PREFIX, BOS)
                    .tokens("<｜User｜>", "<｜Assistant｜>")
                    .templateClass(Kind.REASONING)
                    .definition(),
            chatml("chatml")
                    .format(OBSERVATION, "<|im_start|>tool\n{{content}}<|im_end|>\n<|im_start|>assistant\n")
                    .replaceEos("<|im_end|>")
                    .definition(),
            chatml("yi").definition(),
            chatml("smollm2")
                    .defaultSystem("You are a helpful AI assistant named SmolLM, trained by Hugging Face.")
                    .definition(),
            new Registration("glm4")
                    .format(USER, "<|user|>\n{{content}}<|assistant|>")
                    .format(ASSISTANT, "\n{{content}}")
                    .format(SYSTEM, "<|system|>\n{{content}}")
                    .format(FUNCTION, "{{content}}")
                    .format(OBSERVATION, "<|observation|>\n{{content}}<|assistant|>")
                    .format(PREFIX, "[gMASK]<sop>")
                    .toolFormat(ToolFormat.GLM4)
                    .efficientEos()
                    .tokens("[gMASK]", "<sop>", "<|user|>", "<|assistant|>", "<|system|>", "<|observation|>")
                    .definition(),
            new Registration("granite3")
                    .format(
                            USER,
                            "<|start_of_role|>user<|end_of_role|>{{content}}<|end_of_text|>\n"
                                    + "<|start_of_role|>assistant<|end_of_role|>")
                    .format(ASSISTANT, "{{content}}<|end_of_text|>\n")
                    .format(SYSTEM, "<|start_of_role|>system<|end_of_role|>{{content}}<|end_of_text|>\n")
                    .tokens("<|start_of_role|>", "<|end_of_role|>", "<|end_of_text|>")
                    .definition(),
            // "<|user|>" is plain text to the OLMo and Zephyr tokenizers
            new Registration("olmo")
                    .format(USER, "<|user|>\n{{content}}<|assistant|>\n")
                    .format(PREFIX, EOS)
                    .definition(),
            new Registration("zephyr")
                    .format(USER, "<|user|>\n{{content}}", EOS, "<|assistant|>\n")
                    .format(SYSTEM, "<|system|>\n{{content}}", EOS)
                    .defaultSystem("You are Zephyr, a helpful assistant.")
                    .definition(),
            new Registration("vicuna")
                    .format(USER, "USER: {{content}} ASSISTANT:")
                    .defaultSystem("A chat between a curious user and an artificial intelligence assistant. "
                            + "The assistant gives helpful, detailed, and polite answers to the user's questions.")
                    .definition(),
            new Registration("gpt_oss")
                    .format(USER, "<|start|>user<|message|>{{content}}<|end|><|start|>assistant")
                    .format(ASSISTANT, "{{content}}")
                    .format(SYSTEM, "<|start|>system<|message|>{{content}}<|end|>")
                    .defaultSystem("You are ChatGPT, a large language model trained by OpenAI.")
                    .thoughtWords(
                            "<|channel|>analysis<|message|>", "<|end|><|start|>assistant<|channel|>final<|message|>")
                    .efficientEos()
                    .tokens("<|start|>", "<|message|>", "<|end|>", "<|channel|>")
                    .templateClass(Kind.REASONING)
                    .definition(),
            new Registration("default")
                    .format(USER, "Human: {{content}}", EOS, "\nAssistant:")
                    .format(ASSISTANT, "{{content}}", EOS, "\n")
                    .format(SYSTEM, "System: {{content}}", EOS, "\n")
                    .definition(),
            new Registration("alpaca")
                    .format(USER, "### Instruction:\n{{content}}\n\n### Response:\n")
                    .format(ASSISTANT, "{{content}}", EOS, "\n\n")
                    .defaultSystem("Below is an instruction that describes a task. Write a response that "
                            + "appropriately completes the request.\n\n")
                    .definition(),
            new Registration("empty").format(ASSISTANT, "{{content}}").definition());

    private LlamaFactoryTemplates() {}

    /** The ChatML slots ({@code chatml}, {@code yi}, {@code smollm2} and the Qwen family's). */
    private static Registration chatml(String name) {
        return new Registration(name)
                .format(USER, CHATML_USER)
                .format(ASSISTANT, CHATML_ASSISTANT)
                .format(SYSTEM, CHATML_SYSTEM)
                .tokens("<|im_start|>", "<|im_end|>");
    }

    /** The Qwen family: ChatML with the function and tool-response slots of their tool format. */
    private static Registration qwenChatml(String name, ToolFormat toolFormat, Kind kind) {
        return chatml(name)
                .format(FUNCTION, CHATML_ASSISTANT)
                .format(OBSERVATION, QWEN_OBSERVATION)
                .replaceEos("<|im_end|>")
                .toolFormat(toolFormat)
                .templateClass(kind);
    }

    /** The Gemma slots: the system text fused into the first user message (Llama2Template). */
    private static Registration gemma(String name) {
        return new Registration(name)
                .format(USER, "<start_of_turn>user\n{{content}}<end_of_turn>\n<start_of_turn>model\n")
                .format(ASSISTANT, "{{content}}<end_of_turn>\n")
                .format(SYSTEM, "{{content}}\n\n")
                .format(OBSERVATION, "<start_of_turn>tool\n{{content}}<end_of_turn>\n<start_of_turn>model\n")
                .format(PREFIX, BOS)
                .tokens("<start_of_turn>", "<end_of_turn>")
                .templateClass(Kind.SYSTEM_IN_FIRST_USER);
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

    /** register_template's formatters written as slots: {@code format_user} is {@code USER}, .... */
    enum Slot {
        PREFIX,
        SYSTEM,
        USER,
        ASSISTANT,
        FUNCTION,
        OBSERVATION,
        /** {@code format_tools} as a StringFormatter; without it the tool format's ToolFormatter. */
        TOOLS
    }

    /**
     * One {@code register_template} call: slots are texts holding {@code {{content}}} and {@link Special} tokens,
     * as LLaMA-Factory's StringFormatter slots; what is not set takes register_template's default.
     */
    private static final class Registration {
        private final String name;
        private final Map<Slot, List<Element>> formats = new EnumMap<>(Slot.class);
        private String defaultSystem = "";
        private ThoughtWords thoughtWords = ThoughtWords.THINK;
        private boolean efficientEos;
        private String replacedEos;
        private ToolFormat toolFormat = ToolFormat.DEFAULT;
        private Kind kind = Kind.PLAIN;
        private final List<String> tokens = new ArrayList<>();

        Registration(String name) {
            this.name = name;
        }

        /** {@code format_<slot>=StringFormatter(slots=[...])}: texts and {@link Special} tokens. */
        Registration format(Slot slot, Object... slots) {
            List<Element> elements = new ArrayList<>(slots.length);
            for (Object element : slots) {
                elements.add(element instanceof Special special ? special : new Text((String) element));
            }
            formats.put(slot, elements);
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

        /** {@code replace_eos=True} with this first stop word: it becomes the tokenizer's eos. */
        Registration replaceEos(String firstStopWord) {
            replacedEos = firstStopWord;
            return this;
        }

        /** The {@code tool_format} of format_function and format_tools; register_template's default: default. */
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
            List<Element> assistant = formats.getOrDefault(
                    Slot.ASSISTANT, efficientEos ? content : List.of(new Text("{{content}}"), EOS));
            List<Element> user = formats.getOrDefault(Slot.USER, content);
            return new Definition(
                    name,
                    formats.getOrDefault(Slot.PREFIX, List.of()),
                    formats.getOrDefault(Slot.SYSTEM, content),
                    user,
                    assistant,
                    formats.getOrDefault(Slot.FUNCTION, assistant),
                    formats.getOrDefault(Slot.OBSERVATION, user),
                    defaultSystem,
                    toolFormat,
                    formats.get(Slot.TOOLS),
                    kind,
                    thoughtWords,
                    efficientEos,
                    replacedEos,
                    tokens);
        }
    }
}
