package dev.sparktune.preprocess.template;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Real chat templates (Qwen3, DeepSeek-V3, Gemma 3, Llama 3.1) against the checked-in transformers goldens
 * ({@code goldens/chat_templates.json}, written by {@code scripts/goldens/chat_templates.py}).
 */
class ChatTemplateGoldenTest {
    private static final JsonNode GOLDENS = ChatTemplateGoldenCases.readResource("/goldens/chat_templates.json");

    @TestFactory
    List<DynamicTest> everyGoldenCaseMatches() {
        return ChatTemplateGoldenCases.tests(GOLDENS);
    }

    @Test
    void goldensCoverEveryFamilyAndTheEdgeCases() {
        String ids = GOLDENS.get("cases").toString();
        for (String id : List.of(
                "qwen3/tools",
                "qwen3/no_think_multi",
                "qwen3/think_multi",
                "deepseek_v3/unicode",
                "gemma3/system_prompt",
                "llama3_1/whitespace",
                "gemma3/tools",
                "qwen3/prompt_no_think")) {
            assertTrue(ids.contains("\"" + id + "\""), "golden case " + id);
        }
        assertTrue(
                GOLDENS.get("cases").size() >= 50,
                "cases: " + GOLDENS.get("cases").size());
    }
}
