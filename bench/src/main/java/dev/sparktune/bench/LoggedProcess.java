package dev.sparktune.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One step of the scale ladder run as a child process from the repository root, its stdout and stderr kept in files
 * beside each other ({@code NAME.out}, {@code NAME.err}) so a failed step can be read afterwards.
 */
final class LoggedProcess {
    /**
     * The machine's rule for processes that may use more than a few GB: they take this lock, so two of them (ours,
     * PEFT's, a checkpoint of 4B, or another engineer's run) never hold memory at once.
     */
    static final String BIG_RUN_LOCK = "/tmp/sparktune-bigrun.lock";

    private final Path root;

    LoggedProcess(Path root) {
        this.root = root;
    }

    /** The stdout and stderr files of a finished run. */
    record Logs(Path out, Path err) {
        /** The last non-blank lines of stderr: what a failure says, for the console and the results file. */
        String errTail(int lines) throws IOException {
            List<String> all = Files.readAllLines(err, StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank())
                    .toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        }
    }

    /**
     * Runs {@code command} under {@link #BIG_RUN_LOCK} and waits for it.
     *
     * @param dir  where NAME.out and NAME.err go (created)
     * @param env  added to this process's environment
     * @throws StepFailedException it exited non-zero
     */
    Logs runLocked(Path dir, String name, Map<String, String> env, List<String> command)
            throws IOException, InterruptedException {
        List<String> locked = new ArrayList<>(List.of("flock", BIG_RUN_LOCK));
        locked.addAll(command);
        Files.createDirectories(dir);
        Logs logs = new Logs(dir.resolve(name + ".out"), dir.resolve(name + ".err"));
        ProcessBuilder builder = new ProcessBuilder(locked)
                .directory(root.toFile())
                .redirectOutput(logs.out().toFile())
                .redirectError(logs.err().toFile());
        builder.environment().putAll(env);
        int exit = builder.start().waitFor();
        if (exit != 0) {
            throw new StepFailedException(name, exit, logs.err(), logs.errTail(5));
        }
        return logs;
    }

    /** A step of a case exited non-zero; the message names the step, its exit status, its log and the log's end. */
    static final class StepFailedException extends RuntimeException {
        private final String step;
        private final int exit;
        private final String errTail;

        StepFailedException(String step, int exit, Path err, String errTail) {
            super(step + " exited with " + exit + " (" + err + "):\n" + errTail);
            this.step = step;
            this.exit = exit;
            this.errTail = errTail;
        }

        /** One line for the table: the step, its status, and the last line it wrote (usually the reason). */
        String summary() {
            String last = errTail.lines().reduce((a, b) -> b).orElse("").strip();
            return step + " exit " + exit + ": " + (last.length() > 160 ? last.substring(0, 160) + "..." : last);
        }
    }
}
