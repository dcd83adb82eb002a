package dev.sparktune.pipeline.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a configuration comes from, lowest precedence last: {@code --set} overrides (a later one wins over an earlier
 * one), then the file, then reference.conf.
 *
 * @param file      a SparkTune {@code .conf} (HOCON) or a LLaMA-Factory {@code .yaml}/{@code .yml}/{@code .json}
 * @param overrides {@code key=value} strings, the key a HOCON path relative to {@code sparktune}
 */
public record ConfigSources(Optional<Path> file, List<String> overrides) {

    public ConfigSources {
        Objects.requireNonNull(file, "file");
        overrides = List.copyOf(overrides);
    }

    /** Defaults only. */
    public static ConfigSources defaults() {
        return new ConfigSources(Optional.empty(), List.of());
    }

    public static ConfigSources of(Path file, List<String> overrides) {
        return new ConfigSources(Optional.ofNullable(file), overrides);
    }
}
