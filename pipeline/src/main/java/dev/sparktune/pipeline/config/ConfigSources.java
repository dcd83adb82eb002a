package dev.sparktune.pipeline.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a configuration comes from, lowest precedence last: {@code --set} overrides (a later one wins over an earlier
 * one), then the file, then reference.conf.
 *
 * @param file      a SparkTune {@code .conf} (HOCON) or a LLaMA-Factory {@code .yaml}/{@code .yml}/{@code .json}: a
 *                  local path or a Hadoop URI ({@code s3a://bucket/job.conf})
 * @param overrides {@code key=value} strings, the key a HOCON path relative to {@code sparktune}
 */
public record ConfigSources(Optional<String> file, List<String> overrides) {

    public ConfigSources {
        Objects.requireNonNull(file, "file");
        overrides = List.copyOf(overrides);
    }

    /** Defaults only. */
    public static ConfigSources defaults() {
        return new ConfigSources(Optional.empty(), List.of());
    }

    /** @param file a local path or a Hadoop URI, or null for none */
    public static ConfigSources of(String file, List<String> overrides) {
        return new ConfigSources(Optional.ofNullable(file), overrides);
    }

    public static ConfigSources of(Path file, List<String> overrides) {
        return of(file == null ? null : file.toString(), overrides);
    }
}
