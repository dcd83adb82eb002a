package dev.sparktune.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Python reference stack (torch + transformers + PEFT + tokenizers) that live parity tests run against.
 * Created on first use by {@code scripts/reference-env.sh} (offline, from the machine's wheel store, about a minute)
 * and reused after that; a test that needs it fails, never skips, when it cannot be created.
 */
public final class ReferencePython {
    private static final Duration SETUP_TIMEOUT = Duration.ofMinutes(10);
    private static Path python;

    private ReferencePython() {}

    /** The venv's python executable, creating the venv if needed. */
    public static synchronized Path python() {
        if (python == null) {
            String out = exec(
                    List.of(
                            "bash",
                            RepoPaths.resolve("scripts/reference-env.sh").toString()),
                    SETUP_TIMEOUT);
            String[] lines = out.strip().split("\n");
            python = Path.of(lines[lines.length - 1].strip());
        }
        return python;
    }

    /**
     * Runs a repository script ({@code scripts/...}) with the reference python and returns its stdout.
     * Fails with the script's stderr when it exits non-zero.
     */
    public static String runScript(String scriptRelativePath, List<String> args, Duration timeout) {
        List<String> command = new ArrayList<>();
        command.add(python().toString());
        command.add(RepoPaths.resolve(scriptRelativePath).toString());
        command.addAll(args);
        return exec(command, timeout);
    }

    private static String exec(List<String> command, Duration timeout) {
        try {
            Path err = Files.createTempFile("sparktune-ref", ".err");
            Process process = new ProcessBuilder(command)
                    .directory(RepoPaths.root().toFile())
                    .redirectError(err.toFile())
                    .start();
            byte[] stdout = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("timed out after " + timeout + ": " + command);
            }
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            Files.deleteIfExists(err);
            if (process.exitValue() != 0) {
                throw new IllegalStateException("exit " + process.exitValue() + " from " + command + "\n" + stderr);
            }
            return new String(stdout, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }
}
