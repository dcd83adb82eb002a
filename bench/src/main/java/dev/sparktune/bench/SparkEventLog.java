package dev.sparktune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Stage times from a Spark application's event log: what its work took, apart from the JVM's and Spark's
 * start-up and the driver's own work (Delta's transactions) between jobs. The application writes it when launched
 * with {@link #optionsFor}.
 */
final class SparkEventLog {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SparkEventLog() {}

    /**
     * The spark-submit options that write the application's event log into {@code dir} (created) as
     * {@link #longestStageSeconds} reads it: plain JSON lines in one file.
     */
    static List<String> optionsFor(Path dir) throws IOException {
        Files.createDirectories(dir);
        return List.of(
                "--conf",
                "spark.eventLog.enabled=true",
                "--conf",
                "spark.eventLog.compress=false",
                "--conf",
                "spark.eventLog.rolling.enabled=false",
                "--conf",
                "spark.eventLog.dir=" + dir.toUri());
    }

    /**
     * The seconds of the longest stage of the jobs whose description starts with {@code description}
     * ({@code SparkContext.setJobDescription}), from its submission to its completion.
     *
     * @param dir an event log folder of local-mode applications: the newest one's log is read (a run repeated after a
     *            build leaves two), its file named by its application id, local-START_MILLIS
     */
    static double longestStageSeconds(Path dir, String description) throws IOException {
        Path log;
        try (Stream<Path> files = Files.list(dir)) {
            log = files.filter(Files::isRegularFile)
                    .max(Comparator.comparing(Path::toString))
                    .orElseThrow(() -> new IllegalStateException(dir + " holds no event log"));
        }
        Set<Integer> stages = new HashSet<>();
        double longest = -1;
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            JsonNode event = JSON.readTree(line);
            switch (event.path("Event").asText()) {
                case "SparkListenerJobStart" -> {
                    if (event.path("Properties")
                            .path("spark.job.description")
                            .asText()
                            .startsWith(description)) {
                        event.get("Stage IDs").forEach(id -> stages.add(id.asInt()));
                    }
                }
                case "SparkListenerStageCompleted" -> {
                    // jobs start before their stages complete, so the set is complete when a stage is
                    JsonNode stage = event.get("Stage Info");
                    if (stages.contains(stage.get("Stage ID").asInt()) && stage.has("Completion Time")) {
                        longest = Math.max(
                                longest,
                                (stage.get("Completion Time").asLong()
                                                - stage.get("Submission Time").asLong())
                                        / 1e3);
                    }
                }
                default -> {}
            }
        }
        if (longest < 0) {
            throw new IllegalStateException(
                    log + " has no completed stage of a job described '" + description + "...'");
        }
        return longest;
    }
}
