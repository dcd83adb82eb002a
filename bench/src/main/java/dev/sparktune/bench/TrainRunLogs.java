package dev.sparktune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads our train run's figures from what the CLI already writes: the driver's and ranks' log on stderr, the JSON
 * summary on stdout, {@code trainer_log.jsonl}, and the {@code /usr/bin/time -v} report of the JVM. The summary and
 * the report are read the same way for the other runs the benches time (ref-logprobs, the reference scripts).
 */
final class TrainRunLogs {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LOADED = Pattern.compile("rank 0/\\d+: joined and loaded in ([0-9.]+) s");
    // one log line per plan line; MemoryPlan.gb prints MB (1e6 bytes) below 0.1 GB and GB (1e9) above
    private static final Pattern PLAN_TOTAL = Pattern.compile("INFO \\S+: +total +([0-9.]+) (MB|GB) per rank");
    private static final Pattern MAX_RSS = Pattern.compile("Maximum resident set size \\(kbytes\\): (\\d+)");

    private TrainRunLogs() {}

    /**
     * @param stderr     the train JVM's stderr (logs)
     * @param stdout     its stdout (the JSON summary)
     * @param time       the /usr/bin/time -v report
     * @param trainerLog output_dir/trainer_log.jsonl; the first logged step is the warm-up, left out
     */
    static Measurement read(Path stderr, Path stdout, Path time, Path trainerLog) throws IOException {
        List<String> log = Files.readAllLines(stderr, StandardCharsets.UTF_8);
        double load = Double.parseDouble(
                last(log, LOADED, stderr, "rank 0's 'joined and loaded' line").group(1));
        Matcher total = last(log, PLAN_TOTAL, stderr, "the memory plan's total line");
        double planned = Double.parseDouble(total.group(1)) * (total.group(2).equals("GB") ? 1e9 : 1e6);
        JsonNode rank0 = lastJsonLine(stdout, "held_bytes_per_rank")
                .get("held_bytes_per_rank")
                .get(0);
        double held = rank0.get("params").asDouble()
                + rank0.get("grads").asDouble()
                + rank0.get("optimizer_state").asDouble()
                + rank0.get("activations").asDouble();
        double rss = peakRssBytes(time);
        List<Double> tokensPerSecond = new ArrayList<>();
        List<Double> mfu = new ArrayList<>();
        for (String line : Files.readAllLines(trainerLog, StandardCharsets.UTF_8)) {
            JsonNode step = line.isBlank() ? null : JSON.readTree(line);
            if (step != null && step.get("current_steps").asInt() > 1) {
                tokensPerSecond.add(step.get("tokens_per_second").asDouble());
                mfu.add(step.get("mfu").asDouble());
            }
        }
        if (tokensPerSecond.isEmpty()) {
            throw new IllegalStateException(trainerLog + " has no step after the warm-up step; run more steps with"
                    + " train.logging_steps = 1");
        }
        return new Measurement(load, rss, planned, held, median(tokensPerSecond), median(mfu));
    }

    /** The peak resident set of the process a {@code /usr/bin/time -v} report is of. */
    static double peakRssBytes(Path time) throws IOException {
        return Double.parseDouble(last(
                                Files.readAllLines(time, StandardCharsets.UTF_8),
                                MAX_RSS,
                                time,
                                "the maximum resident set size")
                        .group(1))
                * 1024;
    }

    /** A JSON summary on stdout: the last line that is a JSON object with {@code field} (the CLI's, a script's). */
    static JsonNode lastJsonLine(Path stdout, String field) throws IOException {
        List<String> lines = Files.readAllLines(stdout, StandardCharsets.UTF_8);
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith("{")) {
                JsonNode node = JSON.readTree(lines.get(i));
                if (node.has(field)) {
                    return node;
                }
            }
        }
        throw new IllegalStateException(stdout + " has no JSON summary with " + field);
    }

    private static Matcher last(List<String> lines, Pattern pattern, Path file, String what) {
        Matcher found = null;
        for (String line : lines) {
            Matcher m = pattern.matcher(line);
            if (m.find()) {
                found = m;
            }
        }
        if (found == null) {
            throw new IllegalStateException(file + " has no " + what + " (pattern " + pattern + ")");
        }
        return found;
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
