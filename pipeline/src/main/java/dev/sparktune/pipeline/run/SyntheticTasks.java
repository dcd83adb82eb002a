package dev.sparktune.pipeline.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.pipeline.PipelineException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The demo's synthetic instruction datasets: short questions with one right answer that a tiny randomly initialised
 * model can learn with LoRA in a few minutes on a CPU (measured with PyTorch + PEFT first: greedy exact match goes
 * from 0 to 91–100% on held-out questions within 600 steps of 8 examples), so the demo shows accuracy rising on
 * documents it never trained on. Every question is unique across both files, so the prep's eval split never holds a question the
 * model saw in training. Written as alpaca JSON lines and sharegpt JSON lines, with their dataset_info.json; a third
 * file, {@link #PAIRS}, holds preference pairs (ranking: the right answer chosen, a wrong one rejected) on questions
 * of their own, for the preference-training demo.
 */
public final class SyntheticTasks {
    public static final String ALPACA = "demo_tasks_alpaca";
    public static final String SHAREGPT = "demo_tasks_sharegpt";
    public static final String PAIRS = "demo_tasks_pairs";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A question and its only right answer. */
    record Example(String question, String answer) {
        /** A wrong answer of the same kind: the other parity, or another digit. */
        String wrong(SplittableRandom random) {
            return switch (answer) {
                case "even" -> "odd";
                case "odd" -> "even";
                default -> Integer.toString((Integer.parseInt(answer) + random.nextInt(1, 10)) % 10);
            };
        }
    }

    private SyntheticTasks() {}

    /** "Is 4713 even or odd?" → "odd": the answer depends on the number's last digit. */
    static Example parity(SplittableRandom random) {
        int n = random.nextInt(10, 10_000);
        return new Example("Is " + n + " even or odd?", n % 2 == 0 ? "even" : "odd");
    }

    /**
     * "Max of 3 8 1 5?" → "8": a comparison over four digits. The maximum is drawn first (1–9, uniform) and the
     * digits below it: four uniform digits would make a third of the answers 9, and a model that learns "9" first
     * stalls on the small maxima.
     */
    static Example max(SplittableRandom random) {
        int best = random.nextInt(1, 10);
        int[] digits = random.ints(4, 0, best + 1).toArray();
        digits[random.nextInt(4)] = best;
        StringBuilder q = new StringBuilder("Max of");
        for (int d : digits) {
            q.append(' ').append(d);
        }
        return new Example(q.append('?').toString(), Integer.toString(best));
    }

    /**
     * {@code examples} unique examples per form (alpaca, sharegpt, pairs), alternating the two tasks, written to
     * {@code dir} with a dataset_info.json naming {@link #ALPACA}, {@link #SHAREGPT} and {@link #PAIRS}; files
     * already there are replaced.
     *
     * @return the files written
     */
    public static List<Path> write(Path dir, int examples, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        // a stream of its own: the instruction datasets stay as they were before the pairs existed
        SplittableRandom wrongs = new SplittableRandom(~seed);
        Set<String> seen = new HashSet<>();
        List<Example> all = new ArrayList<>();
        while (all.size() < 3 * examples) {
            Example e = all.size() % 2 == 0 ? parity(random) : max(random);
            if (seen.add(e.question())) {
                all.add(e);
            }
            if (seen.size() > 3 * examples + 20_000) {
                throw new PipelineException("cannot draw " + 3 * examples + " distinct questions; lower "
                        + "synthetic_data.examples (at most about 6000)");
            }
        }
        StringBuilder alpaca = new StringBuilder();
        StringBuilder sharegpt = new StringBuilder();
        StringBuilder pairs = new StringBuilder();
        try {
            for (int i = 0; i < all.size(); i++) {
                Example e = all.get(i);
                ObjectNode row = MAPPER.createObjectNode();
                if (i >= 2 * examples) {
                    row.put("instruction", e.question())
                            .put("chosen", e.answer())
                            .put("rejected", e.wrong(wrongs));
                    pairs.append(MAPPER.writeValueAsString(row)).append('\n');
                } else if (i % 2 == 0) {
                    row.put("instruction", e.question()).put("input", "").put("output", e.answer());
                    alpaca.append(MAPPER.writeValueAsString(row)).append('\n');
                } else {
                    var turns = row.putArray("conversations");
                    turns.addObject().put("from", "human").put("value", e.question());
                    turns.addObject().put("from", "gpt").put("value", e.answer());
                    sharegpt.append(MAPPER.writeValueAsString(row)).append('\n');
                }
            }
            ObjectNode info = MAPPER.createObjectNode();
            info.putObject(ALPACA).put("file_name", ALPACA + ".jsonl");
            info.putObject(SHAREGPT).put("file_name", SHAREGPT + ".jsonl").put("formatting", "sharegpt");
            ObjectNode ranking =
                    info.putObject(PAIRS).put("file_name", PAIRS + ".jsonl").put("ranking", true);
            ranking.putObject("columns")
                    .put("prompt", "instruction")
                    .put("chosen", "chosen")
                    .put("rejected", "rejected");
            Files.createDirectories(dir);
            return List.of(
                    Files.writeString(dir.resolve(ALPACA + ".jsonl"), alpaca, StandardCharsets.UTF_8),
                    Files.writeString(dir.resolve(SHAREGPT + ".jsonl"), sharegpt, StandardCharsets.UTF_8),
                    Files.writeString(dir.resolve(PAIRS + ".jsonl"), pairs, StandardCharsets.UTF_8),
                    Files.writeString(
                            dir.resolve("dataset_info.json"),
                            MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(info),
                            StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot write the synthetic datasets into " + dir + ": " + e.getMessage(), e);
        }
    }
}
