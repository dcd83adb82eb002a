package dev.sparktune.preprocess.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.conversation.Message;
import dev.sparktune.preprocess.conversation.Role;
import dev.sparktune.preprocess.conversation.ToolCall;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.DynamicTest;

/**
 * Checks our engine against a goldens document written by {@code scripts/goldens/chat_templates.py} (checked in, or
 * produced live): every case's text string-exact (or the same raise_exception message), and every assistant span.
 */
final class ChatTemplateGoldenCases {
    static final ObjectMapper JSON = new ObjectMapper();
    /** The end-of-turn marker each family closes an assistant turn with (part of the trained span). */
    private static final Map<String, String> END_OF_TURN = Map.of(
            "qwen3", "<|im_end|>\n",
            "deepseek_v3", "<｜end▁of▁sentence｜>",
            "gemma3", "<end_of_turn>\n",
            "llama3_1", "<|eot_id|>");

    private ChatTemplateGoldenCases() {}

    static JsonNode readResource(String path) {
        try (InputStream in = ChatTemplateGoldenCases.class.getResourceAsStream(path)) {
            assertNotNull(in, "test resource " + path);
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** tokenizer_config.json text for one of the test families: its chat_template and special tokens. */
    static String tokenizerConfig(String family) {
        JsonNode spec = readResource("/chat_templates/" + family + ".json");
        ObjectNode config = JSON.createObjectNode();
        config.set("chat_template", spec.get("chat_template"));
        for (String key : List.of("bos_token", "eos_token", "pad_token")) {
            config.set(key, spec.get(key));
        }
        return config.toString();
    }

    static Conversation conversation(JsonNode c) {
        List<Message> messages = new ArrayList<>();
        for (JsonNode m : c.get("messages")) {
            Role role = Role.valueOf(m.get("role").asText().toUpperCase(Locale.ROOT));
            List<ToolCall> calls = new ArrayList<>();
            if (m.has("tool_calls")) {
                for (JsonNode call : m.get("tool_calls")) {
                    calls.add(new ToolCall(
                            call.get("name").asText(), call.get("arguments").asText()));
                }
            }
            messages.add(new Message(role, m.get("content").asText(), calls));
        }
        JsonNode tools = c.get("tools");
        return new Conversation(messages, tools == null || tools.isNull() ? null : tools.toString());
    }

    static List<DynamicTest> tests(JsonNode doc) {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : doc.get("cases")) {
            tests.add(DynamicTest.dynamicTest(c.get("id").asText(), () -> check(c)));
        }
        return tests;
    }

    static void check(JsonNode c) {
        String family = c.get("family").asText();
        boolean thinking = c.get("enable_thinking").asBoolean();
        JinjaChatTemplate template =
                (JinjaChatTemplate) ChatTemplates.resolve("auto", tokenizerConfig(family), thinking);
        Conversation conversation = conversation(c);
        boolean agp = c.get("add_generation_prompt").asBoolean();
        JsonNode error = c.get("error");
        if (!error.isNull()) {
            TemplateException e = assertThrows(TemplateException.class, () -> {
                if (agp) {
                    template.renderText(conversation, true);
                } else {
                    template.render(conversation);
                }
            });
            if (error.get("type").asText().equals("raise_exception")) {
                assertEquals(error.get("message").asText(), e.getMessage());
            }
            return;
        }
        String expected = c.get("text").asText();
        if (agp) {
            assertEquals(expected, template.renderText(conversation, true));
            return;
        }
        RenderedConversation rendered = template.render(conversation);
        assertEquals(expected, rendered.text());
        checkSpans(c, family, conversation, rendered);
    }

    private static void checkSpans(JsonNode c, String family, Conversation conversation, RenderedConversation r) {
        List<Integer> assistants = new ArrayList<>();
        for (int i = 0; i < conversation.messages().size(); i++) {
            if (conversation.messages().get(i).role() == Role.ASSISTANT) {
                assistants.add(i);
            }
        }
        assertEquals(assistants.size(), r.assistantSpans().size(), "one span per assistant message");
        String text = r.text();
        for (int j = 0; j < assistants.size(); j++) {
            int k = assistants.get(j);
            TextSpan span = r.assistantSpans().get(j);
            String spanText = text.substring(span.start(), span.end());
            String where = c.get("id").asText() + " assistant message " + k + " span " + span + " = '" + spanText + "'";
            // 1. the span starts exactly where transformers' generation prompt for messages[:k] ends
            JsonNode prompt = c.get("assistant_prompts").get(j);
            assertEquals(k, prompt.get("index").asInt());
            assertTrue(prompt.get("error").isNull(), where + ": prompt render failed in the reference");
            String promptText = prompt.get("text").asText();
            if (text.startsWith(promptText)) {
                assertEquals(promptText.length(), span.start(), where + ": span start vs generation prompt");
            } else {
                // the template renders earlier turns differently when they are not last (e.g. Qwen3 reasoning):
                // the span must still follow the same turn header
                String header = lastHeader(family);
                assertTrue(text.startsWith(header, span.start() - header.length()), where + ": header before span");
            }
            // 2. it ends with the family's end-of-turn marker
            assertTrue(spanText.endsWith(END_OF_TURN.get(family)), where + ": end-of-turn marker");
            // 3. it contains the visible answer (the template may trim it or move reasoning)
            String content = conversation.messages().get(k).content();
            String answer =
                    content.contains("</think>") ? content.substring(content.lastIndexOf("</think>") + 8) : content;
            answer = answer.strip();
            if (!answer.isEmpty()) {
                assertTrue(spanText.contains(answer), where + ": contains the answer '" + answer + "'");
            }
            assertFalse(spanText.contains("<|im_start|>assistant"), where + ": no turn header in the span");
        }
        if (family.equals("qwen3") && !assistants.isEmpty()) {
            // Qwen3 puts a think block in the last assistant turn (after the last user query); with thinking on the
            // model learns to write it, with thinking off the empty block is part of the prompt
            TextSpan last = r.assistantSpans().get(r.assistantSpans().size() - 1);
            boolean thinking = c.get("enable_thinking").asBoolean();
            assertEquals(
                    thinking,
                    text.startsWith("<think>\n", last.start()),
                    "last Qwen3 turn starts with <think> iff thinking is on: " + c.get("id"));
            if (!thinking) {
                assertTrue(
                        text.startsWith("<think>\n\n</think>\n\n", last.start() - 19),
                        c.get("id").asText());
            }
            for (int j = 0; j + 1 < r.assistantSpans().size(); j++) {
                TextSpan earlier = r.assistantSpans().get(j);
                int k = assistants.get(j);
                boolean afterLastQuery = k > lastUserIndex(conversation);
                if (!afterLastQuery) {
                    assertFalse(
                            text.startsWith("<think>", earlier.start()),
                            "earlier Qwen3 turn has no think block: " + c.get("id") + " message " + k);
                }
            }
        }
    }

    private static int lastUserIndex(Conversation conversation) {
        int last = -1;
        for (int i = 0; i < conversation.messages().size(); i++) {
            Message m = conversation.messages().get(i);
            if (m.role() == Role.USER) {
                last = i;
            }
        }
        return last;
    }

    private static String lastHeader(String family) {
        return switch (family) {
            case "qwen3" -> "<|im_start|>assistant\n";
            case "deepseek_v3" -> "<｜Assistant｜>";
            case "gemma3" -> "<start_of_turn>model\n";
            default -> "<|start_header_id|>assistant<|end_header_id|>\n\n";
        };
    }
}
