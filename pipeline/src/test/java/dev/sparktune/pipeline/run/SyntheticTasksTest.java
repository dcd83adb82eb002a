package dev.sparktune.pipeline.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticTasksTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void writesUniqueCorrectlyAnsweredQuestionsInBothFormsWithTheirDatasetInfo() throws Exception {
        SyntheticTasks.write(dir, 500, 7);
        JsonNode info = JSON.readTree(dir.resolve("dataset_info.json").toFile());
        assertEquals(
                "sharegpt",
                info.path(SyntheticTasks.SHAREGPT).path("formatting").asText());
        List<String> alpaca = Files.readAllLines(
                dir.resolve(info.path(SyntheticTasks.ALPACA).path("file_name").asText()));
        List<String> sharegpt = Files.readAllLines(
                dir.resolve(info.path(SyntheticTasks.SHAREGPT).path("file_name").asText()));
        assertEquals(500, alpaca.size());
        assertEquals(500, sharegpt.size());
        Set<String> questions = new HashSet<>();
        for (String line : alpaca) {
            JsonNode row = JSON.readTree(line);
            check(row.path("instruction").asText(), row.path("output").asText());
            assertTrue(questions.add(row.path("instruction").asText()));
        }
        for (String line : sharegpt) {
            JsonNode turns = JSON.readTree(line).path("conversations");
            assertEquals("human", turns.get(0).path("from").asText());
            assertEquals("gpt", turns.get(1).path("from").asText());
            check(
                    turns.get(0).path("value").asText(),
                    turns.get(1).path("value").asText());
            assertTrue(questions.add(turns.get(0).path("value").asText()), "a question appears once in all files");
        }
        JsonNode ranking = info.path(SyntheticTasks.PAIRS);
        assertTrue(ranking.path("ranking").asBoolean());
        List<String> pairs =
                Files.readAllLines(dir.resolve(ranking.path("file_name").asText()));
        assertEquals(500, pairs.size());
        for (String line : pairs) {
            JsonNode row = JSON.readTree(line);
            String question =
                    row.path(ranking.path("columns").path("prompt").asText()).asText();
            check(
                    question,
                    row.path(ranking.path("columns").path("chosen").asText()).asText());
            String rejected =
                    row.path(ranking.path("columns").path("rejected").asText()).asText();
            assertTrue(!rejected.equals(row.path("chosen").asText()) && rejected.matches("even|odd|[0-9]"), line);
            assertTrue(questions.add(question), "a question appears once in all files");
        }
    }

    @Test
    void theSameSeedWritesTheSameFiles() throws Exception {
        SyntheticTasks.write(dir.resolve("a"), 100, 3);
        SyntheticTasks.write(dir.resolve("b"), 100, 3);
        for (String f : List.of("demo_tasks_alpaca.jsonl", "demo_tasks_sharegpt.jsonl", "demo_tasks_pairs.jsonl")) {
            assertEquals(
                    Files.readString(dir.resolve("a").resolve(f)),
                    Files.readString(dir.resolve("b").resolve(f)));
        }
    }

    private static void check(String question, String answer) {
        if (question.startsWith("Is ")) {
            int n = Integer.parseInt(question.substring(3, question.indexOf(' ', 3)));
            assertEquals(n % 2 == 0 ? "even" : "odd", answer, question);
        } else {
            assertTrue(question.startsWith("Max of ") && question.endsWith("?"), question);
            int max = Arrays.stream(question.substring(7, question.length() - 1).split(" "))
                    .mapToInt(Integer::parseInt)
                    .max()
                    .orElseThrow();
            assertEquals(Integer.toString(max), answer, question);
        }
    }
}
