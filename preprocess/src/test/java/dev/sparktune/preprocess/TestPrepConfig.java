package dev.sparktune.preprocess;

import dev.sparktune.preprocess.api.OverlongPolicy;
import dev.sparktune.preprocess.api.PrepConfig;
import dev.sparktune.preprocess.api.Stage;
import dev.sparktune.testkit.RepoPaths;
import java.nio.file.Path;
import java.util.List;

/** Fluent PrepConfig for tests: the bundled Qwen3 tokenizer, template auto, outputs under one directory. */
public final class TestPrepConfig {
    private List<String> datasets;
    private String datasetDir;
    private String modelPath = RepoPaths.resolve("assets/tokenizers/qwen3").toString();
    private String template = "auto";
    private Stage stage = Stage.SFT;
    private int cutoffLen = 1024;
    private boolean packing;
    private boolean trainOnPrompt;
    private boolean maskHistory;
    private OverlongPolicy overlong = OverlongPolicy.TRUNCATE;
    private double valSize;
    private long maxSamples;
    private int partitions = 2;
    private final String output;

    private TestPrepConfig(String datasetDir, List<String> datasets, Path outputDir) {
        this.datasetDir = datasetDir;
        this.datasets = datasets;
        this.output = outputDir.resolve("packed").toString();
    }

    public static TestPrepConfig of(Path datasetDir, Path outputDir, String... datasets) {
        return new TestPrepConfig(datasetDir.toString(), List.of(datasets), outputDir);
    }

    public TestPrepConfig modelPath(String value) {
        modelPath = value;
        return this;
    }

    public TestPrepConfig template(String value) {
        template = value;
        return this;
    }

    public TestPrepConfig stage(Stage value) {
        stage = value;
        return this;
    }

    public TestPrepConfig cutoffLen(int value) {
        cutoffLen = value;
        return this;
    }

    public TestPrepConfig packing(boolean value) {
        packing = value;
        return this;
    }

    public TestPrepConfig trainOnPrompt(boolean value) {
        trainOnPrompt = value;
        return this;
    }

    public TestPrepConfig maskHistory(boolean value) {
        maskHistory = value;
        return this;
    }

    public TestPrepConfig overlong(OverlongPolicy value) {
        overlong = value;
        return this;
    }

    public TestPrepConfig valSize(double value) {
        valSize = value;
        return this;
    }

    public TestPrepConfig maxSamples(long value) {
        maxSamples = value;
        return this;
    }

    public TestPrepConfig partitions(int value) {
        partitions = value;
        return this;
    }

    public PrepConfig build() {
        return PrepConfig.builder()
                .datasets(datasets)
                .datasetDir(datasetDir)
                .maxSamples(maxSamples)
                .modelPath(modelPath)
                .stage(stage)
                .template(template)
                .cutoffLen(cutoffLen)
                .trainOnPrompt(trainOnPrompt)
                .maskHistory(maskHistory)
                .overlong(overlong)
                .packing(packing)
                .valSize(valSize)
                .partitions(partitions)
                .outputs(PrepConfig.Outputs.beside(output))
                .build();
    }
}
