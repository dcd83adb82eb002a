package dev.sparktune.preprocess;

import dev.sparktune.preprocess.api.PrepConfig;
import dev.sparktune.testkit.RepoPaths;
import java.nio.file.Path;
import java.util.List;

/** PrepConfig for tests: the bundled Qwen3 tokenizer, cutoff 1024, 2 partitions, the outputs under one directory. */
public final class TestPrepConfig {
    private TestPrepConfig() {}

    /** A builder for {@code datasets} of {@code datasetDir}, writing the packed table {@code outputDir}/packed. */
    public static PrepConfig.Builder of(Path datasetDir, Path outputDir, String... datasets) {
        return PrepConfig.builder()
                .datasets(List.of(datasets))
                .datasetDir(datasetDir.toString())
                .modelPath(RepoPaths.resolve("assets/tokenizers/qwen3").toString())
                .cutoffLen(1024)
                .partitions(2)
                .outputs(PrepConfig.Outputs.beside(outputDir.resolve("packed").toString()));
    }
}
