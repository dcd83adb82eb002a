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

    /**
     * The repository's demo alpaca dataset (data/demo_alpaca), its first 40 documents cut to 128 tokens and packed,
     * into {@code outputDir}/packed: a table a tiny model trains on in seconds, on local Spark or a local cluster.
     */
    public static PrepConfig.Builder demoAlpaca(Path outputDir) {
        return of(RepoPaths.resolve("data"), outputDir, "demo_alpaca")
                .cutoffLen(128)
                .packing(true)
                .maxSamples(40);
    }
}
