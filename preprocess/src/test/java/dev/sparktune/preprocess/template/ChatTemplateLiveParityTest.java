package dev.sparktune.preprocess.template;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparktune.testkit.ReferencePython;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Live parity: runs {@code scripts/goldens/chat_templates.py} with the reference python (transformers + jinja2) now,
 * and checks our engine against what it writes. Never skipped: the reference venv is created if missing, and a
 * failure to create or run it fails the test.
 */
class ChatTemplateLiveParityTest {
    private static JsonNode live;

    private static synchronized JsonNode live() throws IOException {
        if (live == null) {
            Path dir = Files.createTempDirectory("sparktune-chat-goldens");
            Path out = dir.resolve("chat_templates.json");
            try {
                ReferencePython.runScript(
                        "scripts/goldens/chat_templates.py", List.of(out.toString()), Duration.ofMinutes(5));
                live = ChatTemplateGoldenCases.JSON.readTree(out.toFile());
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(dir);
            }
        }
        return live;
    }

    @TestFactory
    List<DynamicTest> javaMatchesTransformersLive() throws IOException {
        return ChatTemplateGoldenCases.tests(live());
    }

    @Test
    void checkedInGoldensAreCurrent() throws IOException {
        JsonNode checkedIn = ChatTemplateGoldenCases.readResource("/goldens/chat_templates.json");
        assertEquals(
                checkedIn.get("cases"),
                live().get("cases"),
                "goldens/chat_templates.json is stale: regenerate it with scripts/goldens/chat_templates.py");
    }
}
