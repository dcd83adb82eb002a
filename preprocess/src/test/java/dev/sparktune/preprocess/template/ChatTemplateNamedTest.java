package dev.sparktune.preprocess.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.conversation.Message;
import dev.sparktune.preprocess.conversation.Role;
import dev.sparktune.preprocess.conversation.ToolCall;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The named templates spell LLaMA-Factory's strings. Expected texts were written by hand from the slot definitions in
 * hiyouga/LLaMA-Factory {@code src/llamafactory/data/template.py} ({@code register_template} for qwen, qwen3_nothink, llama3,
 * mistral (Llama2Template: system fused into the first user slot), alpaca, empty, qwen3 (ReasoningTemplate)) and the
 * encode order of {@code Template._encode}: prefix + system (turn 0 only; {@code system or default_system}), then per
 * message its slot; the trained span is LLaMA-Factory's {@code format_assistant} slot. Token ids and labels are
 * checked against LLaMA-Factory itself in {@code LlamaFactoryTemplateParityTest}.
 */
class ChatTemplateNamedTest {
    /** The tokenizer's special tokens as tokenizer_config.json gives them (LLaMA/Mistral style). */
    private static final String TOKENS = "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}";

    private static final String LLAMA3_TOKENS = "{\"bos_token\": \"<|begin_of_text|>\", \"eos_token\": \"<|eot_id|>\"}";

    private static final Conversation WITH_SYSTEM = new Conversation(
            List.of(
                    Message.of(Role.SYSTEM, "You are a helpful assistant."),
                    Message.of(Role.USER, "Hi"),
                    Message.of(Role.ASSISTANT, "Hello!"),
                    Message.of(Role.USER, "How are you?"),
                    Message.of(Role.ASSISTANT, "Fine, thanks.")),
            null);
    private static final Conversation NO_SYSTEM =
            new Conversation(List.of(Message.of(Role.USER, "Hi"), Message.of(Role.ASSISTANT, "Hello!")), null);

    private static List<String> spans(RenderedConversation r) {
        List<String> out = new ArrayList<>();
        for (TextSpan s : r.assistantSpans()) {
            out.add(r.text().substring(s.start(), s.end()));
        }
        return out;
    }

    private static RenderedConversation render(String name, String tokens, Conversation c) {
        ChatTemplate t = ChatTemplates.resolve(name, tokens, true);
        assertEquals(name, t.name());
        return t.render(c);
    }

    /**
     * Per named template: the tokens, the text and trained spans of {@link #WITH_SYSTEM}, and the text of
     * {@link #NO_SYSTEM} (where the template's default system, if it has one, appears).
     */
    static Stream<Arguments> namedTemplates() {
        return Stream.of(
                Arguments.of(
                        "qwen",
                        TOKENS,
                        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                                + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                                + "<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\nFine, thanks.<|im_end|>\n",
                        List.of("Hello!<|im_end|>\n", "Fine, thanks.<|im_end|>\n"),
                        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                                + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"),
                Arguments.of(
                        // ChatML like qwen, but without a default system
                        "qwen3_nothink",
                        TOKENS,
                        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                                + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                                + "<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\nFine, thanks.<|im_end|>\n",
                        List.of("Hello!<|im_end|>\n", "Fine, thanks.<|im_end|>\n"),
                        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"),
                Arguments.of(
                        "llama3",
                        LLAMA3_TOKENS,
                        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
                                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                                + "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>"
                                + "<|start_header_id|>assistant<|end_header_id|>\n\nFine, thanks.<|eot_id|>",
                        List.of("Hello!<|eot_id|>", "Fine, thanks.<|eot_id|>"),
                        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"),
                Arguments.of(
                        "mistral",
                        TOKENS,
                        "<s>[INST] You are a helpful assistant.\n\nHi[/INST] Hello!</s>[INST] How are you?[/INST]"
                                + " Fine, thanks.</s>",
                        List.of(" Hello!</s>", " Fine, thanks.</s>"),
                        "<s>[INST] Hi[/INST] Hello!</s>"),
                Arguments.of(
                        "alpaca",
                        TOKENS,
                        "You are a helpful assistant.### Instruction:\nHi\n\n### Response:\nHello!</s>\n\n"
                                + "### Instruction:\nHow are you?\n\n### Response:\nFine, thanks.</s>\n\n",
                        List.of("Hello!</s>\n\n", "Fine, thanks.</s>\n\n"),
                        "Below is an instruction that describes a task. Write a response that appropriately completes "
                                + "the request.\n\n### Instruction:\nHi\n\n### Response:\nHello!</s>\n\n"),
                Arguments.of(
                        "empty",
                        TOKENS,
                        "You are a helpful assistant.HiHello!How are you?Fine, thanks.",
                        List.of("Hello!", "Fine, thanks."),
                        "HiHello!"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("namedTemplates")
    void rendersLlamaFactorysStrings(
            String name, String tokens, String withSystem, List<String> trainedSpans, String noSystem) {
        RenderedConversation r = render(name, tokens, WITH_SYSTEM);
        assertEquals(withSystem, r.text());
        assertEquals(trainedSpans, spans(r));
        assertEquals(noSystem, render(name, tokens, NO_SYSTEM).text(), "no system message: only a default is added");
    }

    @Test
    void qwenToolCallsAndResponsesUseTheFunctionAndObservationSlots() {
        Conversation withCall = new Conversation(
                List.of(
                        Message.of(Role.USER, "Weather?"),
                        new Message(Role.ASSISTANT, "", List.of(new ToolCall("get_weather", "{\"city\":\"Paris\"}"))),
                        Message.of(Role.TOOL, "sunny"),
                        Message.of(Role.ASSISTANT, "Sunny.")),
                null);
        RenderedConversation r = render("qwen", TOKENS, withCall);
        assertEquals(
                "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n"
                        + "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"
                        + "<|im_end|>\n<|im_start|>user\n<tool_response>\nsunny\n</tool_response><|im_end|>\n"
                        + "<|im_start|>assistant\nSunny.<|im_end|>\n",
                r.text());
    }

    /** What LLaMA-Factory's tool formats raise on is refused, saying what cannot be written and why. */
    @Test
    void toolFormatsRefuseWhatLlamaFactoryCannotWrite() {
        Conversation parallel = new Conversation(
                List.of(
                        Message.of(Role.USER, "Weather?"),
                        new Message(
                                Role.ASSISTANT,
                                "",
                                List.of(new ToolCall("w", "{\"city\":\"Paris\"}"), new ToolCall("w", "{}"))),
                        Message.of(Role.TOOL, "sunny"),
                        Message.of(Role.ASSISTANT, "Sunny.")),
                null);
        TemplateException glm4 = assertThrows(
                TemplateException.class,
                () -> ChatTemplates.resolve("glm4", TOKENS, true).render(parallel));
        assertEquals(
                "the glm4 tool format writes one tool call per assistant turn (LLaMA-Factory: \"GLM-4 does not "
                        + "support parallel functions.\"), got 2 calls: split them into turns or use another template",
                glm4.getMessage());
        Conversation noParameters = new Conversation(NO_SYSTEM.messages(), "[{\"name\": \"now\"}]");
        TemplateException chatml = assertThrows(
                TemplateException.class,
                () -> ChatTemplates.resolve("chatml", TOKENS, true).render(noParameters));
        assertEquals(
                "tools[0] has no parameters.properties object, which the default tool format lists (LLaMA-Factory's "
                        + "default tool format cannot write it): fix the record's tools or use template = auto",
                chatml.getMessage());
    }

    /**
     * qwen3 is LLaMA-Factory's ReasoningTemplate: a response without a thought gets the empty one, inside the
     * response when thinking is on, at the end of the prompt when off (then every thought is removed).
     */
    @Test
    void qwen3AddsTheEmptyThoughtToEveryResponseWithoutOne() {
        RenderedConversation think = render("qwen3", "{\"eos_token\": \"<|im_end|>\"}", WITH_SYSTEM);
        String text = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nHello!<|im_end|>\n"
                + "<|im_start|>user\nHow are you?<|im_end|>\n"
                + "<|im_start|>assistant\n<think>\n\n</think>\n\nFine, thanks.<|im_end|>\n";
        assertEquals(text, think.text());
        assertEquals(
                List.of(
                        "<think>\n\n</think>\n\nHello!<|im_end|>\n",
                        "<think>\n\n</think>\n\nFine, thanks.<|im_end|>\n"),
                spans(think));
        RenderedConversation noThink =
                ChatTemplates.resolve("qwen3", null, false).render(WITH_SYSTEM);
        assertEquals(text, noThink.text());
        assertEquals(List.of("Hello!<|im_end|>\n", "Fine, thanks.<|im_end|>\n"), spans(noThink));
    }
}
