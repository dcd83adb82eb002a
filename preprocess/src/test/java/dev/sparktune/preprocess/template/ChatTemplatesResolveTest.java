package dev.sparktune.preprocess.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.preprocess.PreprocessException;
import dev.sparktune.preprocess.ShippedToExecutor;
import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.conversation.Message;
import dev.sparktune.preprocess.conversation.Role;
import dev.sparktune.preprocess.conversation.ToolCall;
import dev.sparktune.testkit.RepoPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** {@link ChatTemplates#resolve}: names, auto, special tokens, context variables, serialization, concurrency. */
class ChatTemplatesResolveTest {
    private static final Conversation HELLO =
            new Conversation(List.of(Message.of(Role.USER, "Hi"), Message.of(Role.ASSISTANT, "Hello!")), null);

    private static String config(String template) {
        return "{\"chat_template\": " + ChatTemplateGoldenCases.JSON.valueToTree(template)
                + ", \"bos_token\": {\"content\": \"<s>\", \"lstrip\": false, \"__type\": \"AddedToken\"},"
                + " \"eos_token\": \"</s>\", \"pad_token\": null}";
    }

    @Test
    void unknownNameListsTheKnownOnesAndTheClosest() {
        PreprocessException e =
                assertThrows(PreprocessException.class, () -> ChatTemplates.resolve("lama3", null, true));
        assertTrue(e.getMessage().contains("known templates are " + ChatTemplates.names()), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean 'llama3'"), e.getMessage());
        assertTrue(e.getMessage().contains("auto: the model's own chat template"), e.getMessage());
    }

    @Test
    void docsListEveryNamedTemplate() throws IOException {
        String prep = Files.readString(RepoPaths.resolve("docs/prep.md"));
        String readme = Files.readString(RepoPaths.resolve("README.md"));
        for (String name : ChatTemplates.NAMED) {
            assertTrue(prep.contains("`" + name + "`"), "docs/prep.md does not list template " + name);
        }
        assertTrue(
                readme.contains(ChatTemplates.NAMED.size() + " of LLaMA-Factory's named templates"),
                "README's comparison table gives another number of named templates than " + ChatTemplates.NAMED.size());
    }

    @Test
    void autoWithoutAChatTemplateSaysWhatToSet() {
        PreprocessException e = assertThrows(
                PreprocessException.class, () -> ChatTemplates.resolve("auto", "{\"eos_token\": \"</s>\"}", true));
        assertTrue(e.getMessage().contains("no chat_template"), e.getMessage());
        assertTrue(e.getMessage().contains("set template to one of " + ChatTemplates.NAMED), e.getMessage());
    }

    @Test
    void autoPicksTheDefaultOfATemplateList() {
        String cfg = "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"TOOLS\"},"
                + " {\"name\": \"default\", \"template\": \"{% for m in messages %}<{{ m.role }}>{{ m.content }}"
                + "{% endfor %}\"}]}";
        ChatTemplate t = ChatTemplates.resolve("auto", cfg, true);
        RenderedConversation r = t.render(HELLO);
        assertEquals("<user>Hi<assistant>Hello!", r.text());
        // the template has no generation prompt, so the model learns the whole turn including its header
        assertEquals(List.of(new TextSpan(8, 25)), r.assistantSpans());
        assertEquals("auto", t.name());
    }

    @Test
    void contextVariablesAreWhatTransformersPasses() {
        // special tokens (AddedToken dicts too; null ones absent), tools=None, add_generation_prompt, enable_thinking
        String probe = "{{ bos_token }}|{{ eos_token }}|{{ pad_token is defined }}|{{ tools is defined }}"
                + "{{ tools is none }}|{{ add_generation_prompt }}|{{ enable_thinking is defined }}|"
                + "{% for m in messages %}{{ m.content }}{% endfor %}";
        JinjaChatTemplate on = (JinjaChatTemplate) ChatTemplates.resolve("auto", config(probe), true);
        assertEquals("<s>|</s>|False|TrueTrue|False|False|HiHello!", on.renderText(HELLO, false));
        JinjaChatTemplate off = (JinjaChatTemplate) ChatTemplates.resolve("auto", config(probe), false);
        assertEquals("<s>|</s>|False|TrueTrue|True|True|HiHello!", off.renderText(HELLO, true));
    }

    @Test
    void toolCallArgumentsArriveParsed() {
        String t = "{% for m in messages %}{% for c in m.tool_calls %}{{ c.type }}:{{ c.function.name }}:"
                + "{{ c.function.arguments.city }}:{{ c.function.arguments | tojson }}{% endfor %}{% endfor %}"
                + "|{{ tools[0].function.name }}";
        Conversation c = new Conversation(
                List.of(
                        Message.of(Role.USER, "Weather?"),
                        new Message(
                                Role.ASSISTANT,
                                "",
                                List.of(new ToolCall("get_weather", "{\"city\":\"Paris\",\"days\":2}")))),
                "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}]");
        JinjaChatTemplate template = (JinjaChatTemplate) ChatTemplates.resolve("auto", config(t), true);
        assertEquals(
                "function:get_weather:Paris:{\"city\": \"Paris\", \"days\": 2}|get_weather",
                template.renderText(c, false));
    }

    @Test
    void aTurnThatCannotBePlacedIsRejectedNotGuessed() {
        // the assistant text is written after the loop, so no loop iteration owns it
        String t = "{% for m in messages %}{% endfor %}{{ messages[-1].content }}";
        ChatTemplate template = ChatTemplates.resolve("auto", config(t), true);
        TemplateException e = assertThrows(TemplateException.class, () -> template.render(HELLO));
        assertTrue(e.getMessage().contains("cannot place assistant message 1"), e.getMessage());
    }

    @Test
    void survivesSerializationAndRendersConcurrently() throws Exception {
        ChatTemplate t = ChatTemplates.resolve("auto", ChatTemplateGoldenCases.tokenizerConfig("qwen3"), true);
        ChatTemplate back = ShippedToExecutor.copy(t);
        RenderedConversation expected = t.render(HELLO);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<RenderedConversation>> results = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                results.add(pool.submit(() -> back.render(HELLO)));
            }
            for (Future<RenderedConversation> f : results) {
                assertEquals(expected, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(
                "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nHello!<|im_end|>\n",
                expected.text());
    }
}
