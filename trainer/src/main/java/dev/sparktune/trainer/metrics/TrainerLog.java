package dev.sparktune.trainer.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.trainer.task.HeldBytes;
import dev.sparktune.trainer.task.StepMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Rank 0's {@code trainer_log.jsonl} (LLaMA-Factory's file name and main keys: current_steps, total_steps, loss, lr,
 * epoch, percentage, elapsed_time, remaining_time) plus grad_norm, tokens/s, MFU (model FLOPs at the row length,
 * and the useful FLOPs of the packed documents), the bytes this rank holds and the objective's own metrics
 * (preference training's rewards/chosen, rewards/accuracies, logps/chosen, ... under TRL's names). One
 * line per logging step and for the last step, flushed as written.
 */
public final class TrainerLog {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final Path file;
    private final int firstStep;
    private final int totalSteps;
    private final HeldBytes held;
    private final Mfu mfu;
    private final long startNanos = System.nanoTime();
    private final TokenRate rate = new TokenRate();

    /**
     * @param file      appended to (a resumed run first copies the checkpoint's log there)
     * @param firstStep the 0-based step this run starts at; elapsed and remaining time count from it
     */
    public TrainerLog(Path file, int firstStep, int totalSteps, HeldBytes held, Mfu mfu) {
        this.file = file;
        this.firstStep = firstStep;
        this.totalSteps = totalSteps;
        this.held = held;
        this.mfu = mfu;
    }

    /** Records a step; writes a line when {@code write} (logging step or last step). */
    public void record(StepMetrics m, boolean write) {
        rate.add(m);
        if (!write) {
            return;
        }
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        int done = m.step() + 1;
        ObjectNode line = MAPPER.createObjectNode();
        line.put("current_steps", done);
        line.put("total_steps", totalSteps);
        line.put("loss", m.loss());
        line.put("lr", m.lr());
        line.put("grad_norm", m.gradNorm());
        line.put("epoch", m.epoch());
        line.put("percentage", Math.round(10000.0 * done / totalSteps) / 100.0);
        line.put("elapsed_time", elapsed);
        line.put("remaining_time", elapsed / (done - firstStep) * (totalSteps - done));
        TokenRate.Window window = rate.take();
        line.put("tokens_per_second", window.tokensPerSecond());
        line.put("mfu", mfu.of(window.tokensPerSecond()));
        line.put("mfu_useful", mfu.useful(window.usefulFlopsPerSecond()));
        line.put("supervised_tokens", m.supervised());
        line.put("params_bytes", held.params());
        line.put("grads_bytes", held.grads());
        line.put("optimizer_state_bytes", held.optimizerState());
        line.put("activation_bytes", held.activations());
        m.objective().forEach(line::put);
        try {
            Files.writeString(
                    file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file, e);
        }
    }

    /** The (current_steps, value of {@code key}) of every line holding it, in file order: what a plot draws. */
    public static List<MetricPoint> points(Path file, String key) {
        List<MetricPoint> points = new ArrayList<>();
        try {
            for (String text : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (text.isBlank()) {
                    continue;
                }
                JsonNode line = MAPPER.readTree(text);
                if (line.hasNonNull(key)) {
                    points.add(new MetricPoint(
                            line.get("current_steps").asInt(), line.get(key).asDouble()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return points;
    }
}
