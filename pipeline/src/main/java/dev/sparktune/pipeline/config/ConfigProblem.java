package dev.sparktune.pipeline.config;

import java.util.Objects;

/**
 * One thing wrong with (or, as a warning, worth knowing about) the configuration.
 *
 * @param keyPath the full key path ({@code sparktune.data.cutoff_len}), the LLaMA-Factory key as written in the file
 *                ({@code cutoff_len}), {@code --set} for a malformed override, or the file name for a file that cannot
 *                be read or parsed
 * @param message what is wrong, what is allowed, and where the value came from
 */
public record ConfigProblem(String keyPath, String message) {

    public ConfigProblem {
        Objects.requireNonNull(keyPath, "keyPath");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return keyPath + ": " + message;
    }
}
