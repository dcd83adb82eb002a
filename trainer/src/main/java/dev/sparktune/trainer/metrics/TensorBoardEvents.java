package dev.sparktune.trainer.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.trainer.task.StepMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rank 0's TensorBoard event file, {@value #DIR}/events.out.tfevents.&lt;unix-seconds&gt;.&lt;host&gt; (published to
 * output_dir/runs/, where transformers puts its logging_dir): the scalars train/loss, train/learning_rate,
 * train/grad_norm, train/tokens_per_second, train/mfu, train/mfu_useful, train/epoch and the objective's own
 * metrics (train/rewards/chosen, ...) at the trainer log's steps, with the 1-based step as TensorBoard's step. Each record is appended as written, so a file cut short by a failure still reads.
 */
public final class TensorBoardEvents {
    /** The folder under the work directory, and under output_dir once published. */
    public static final String DIR = "runs";

    static final String PREFIX = "events.out.tfevents.";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final TokenRate rate = new TokenRate();
    private final Mfu mfu;

    private TensorBoardEvents(Path file, Mfu mfu) {
        this.file = file;
        this.mfu = mfu;
    }

    /** Creates {@code workDir/runs/} and a new event file in it holding the file-version record. */
    public static TensorBoardEvents create(Path workDir, Mfu mfu) {
        long millis = System.currentTimeMillis();
        Path file = workDir.resolve(DIR).resolve(PREFIX + millis / 1000 + "." + hostName());
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + file.getParent(), e);
        }
        TensorBoardEvents events = new TensorBoardEvents(file, mfu);
        events.append(EventRecords.fileVersion(millis / 1000.0));
        return events;
    }

    public Path file() {
        return file;
    }

    /** Records a step; appends its scalars when {@code write} (logging step or last step, as the trainer log). */
    public void record(StepMetrics m, boolean write) {
        rate.add(m);
        if (!write) {
            return;
        }
        Map<String, Float> scalars = new LinkedHashMap<>();
        scalars.put("train/loss", (float) m.loss());
        scalars.put("train/learning_rate", (float) m.lr());
        scalars.put("train/grad_norm", (float) m.gradNorm());
        TokenRate.Window window = rate.take();
        scalars.put("train/tokens_per_second", (float) window.tokensPerSecond());
        scalars.put("train/mfu", (float) mfu.of(window.tokensPerSecond()));
        scalars.put("train/mfu_useful", (float) mfu.useful(window.usefulFlopsPerSecond()));
        scalars.put("train/epoch", (float) m.epoch());
        m.objective().forEach((name, value) -> scalars.put("train/" + name, value.floatValue()));
        append(EventRecords.scalars(System.currentTimeMillis() / 1000.0, m.step() + 1L, scalars));
    }

    /**
     * Appends the scalars of every line of a trainer log (a resumed run's history, from its checkpoint), so the event
     * file covers the whole run and not only the steps since the resume; {@code objectiveMetrics} are the training
     * objective's own metrics (the preference rewards), under train/ as when they were recorded.
     */
    public void replay(Path trainerLog, List<String> objectiveMetrics) {
        if (!Files.isRegularFile(trainerLog)) {
            return;
        }
        try {
            for (String line : Files.readAllLines(trainerLog)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = JSON.readTree(line);
                Map<String, Float> scalars = new LinkedHashMap<>();
                scalars.put("train/loss", (float) n.path("loss").asDouble());
                scalars.put("train/learning_rate", (float) n.path("lr").asDouble());
                scalars.put("train/grad_norm", (float) n.path("grad_norm").asDouble());
                scalars.put("train/tokens_per_second", (float)
                        n.path("tokens_per_second").asDouble());
                if (n.has("mfu")) {
                    scalars.put("train/mfu", (float) n.path("mfu").asDouble());
                }
                if (n.has("mfu_useful")) {
                    scalars.put("train/mfu_useful", (float) n.path("mfu_useful").asDouble());
                }
                scalars.put("train/epoch", (float) n.path("epoch").asDouble());
                for (String name : objectiveMetrics) {
                    if (n.has(name)) {
                        scalars.put("train/" + name, (float) n.path(name).asDouble());
                    }
                }
                append(EventRecords.scalars(
                        System.currentTimeMillis() / 1000.0,
                        n.path("current_steps").asLong(),
                        scalars));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot replay " + trainerLog + " into " + file, e);
        }
    }

    private void append(byte[] event) {
        try {
            Files.write(file, EventRecords.frame(event), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file, e);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost"; // a host without a resolvable name still gets its events
        }
    }
}
