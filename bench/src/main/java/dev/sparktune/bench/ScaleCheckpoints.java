package dev.sparktune.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The random-weight bf16 checkpoints of the {@link ScaleShape}s, made by {@code scripts/bench/make_scale_checkpoint.py}
 * when missing and kept in bench/target/scale/ckpt across runs, so the scale ladder and the DPO bench load the same
 * weights and a 4B checkpoint is made once. A shape's JSON line beside its folder (params) marks it complete.
 */
final class ScaleCheckpoints {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final LoggedProcess processes;
    private final String python;
    private final Consumer<String> progress;

    /**
     * @param root     the repository root
     * @param python   the reference environment's interpreter
     * @param progress where the bench reports what it is doing
     */
    ScaleCheckpoints(Path root, LoggedProcess processes, String python, Consumer<String> progress) {
        this.dir = root.resolve("bench/target/scale/ckpt");
        this.processes = processes;
        this.python = python;
        this.progress = progress;
    }

    /** The shape's checkpoint folder, made first when missing. */
    Path of(ScaleShape shape) throws IOException, InterruptedException {
        Path made = dir.resolve(shape.name() + ".json");
        Path checkpoint = dir.resolve(shape.name());
        if (!Files.exists(made)) {
            progress.accept("making the " + shape.name() + " checkpoint in " + checkpoint);
            LoggedProcess.Logs logs = processes.runLocked(
                    dir,
                    shape.name() + "-make",
                    Map.of(),
                    List.of(python, "scripts/bench/make_scale_checkpoint.py", shape.name(), checkpoint.toString()));
            Files.copy(logs.out(), made, StandardCopyOption.REPLACE_EXISTING);
        }
        return checkpoint;
    }

    /** The parameter count of a checkpoint {@link #of} has made. */
    long params(ScaleShape shape) throws IOException {
        return JSON.readTree(dir.resolve(shape.name() + ".json").toFile())
                .get("params")
                .asLong();
    }
}
