package dev.sparktune.e2e;

import dev.sparktune.testkit.CliArgs;
import dev.sparktune.testkit.RepoPaths;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code run} of a demo conf with what it writes under one scratch directory instead of the conf's out/demo: the
 * synthetic data, the tiny model (with the repository's Qwen3 tokenizer), the packed table and the adapter, on local
 * Spark with 2 cores (or, {@link #outputsUnder}, the paths alone).
 */
final class DemoRunArgs {
    private DemoRunArgs() {}

    /** {@code run conf}, the settings that put its outputs under {@code dir}, then the test's own {@code settings}. */
    static String[] of(Path conf, Path dir, String... settings) {
        List<String> all = new ArrayList<>(outputsUnder(dir));
        all.add("spark.master=\"local[2]\"");
        all.addAll(List.of(settings));
        return CliArgs.withSettings(List.of("run", conf.toString()), all.toArray(String[]::new));
    }

    /** The settings that put a demo conf's data, model, table and adapter under {@code dir} (the repository's tokenizer). */
    static List<String> outputsUnder(Path dir) {
        return List.of(
                "model.model_name_or_path=" + CliArgs.quoted(dir.resolve("model")),
                "init_model.tokenizer=" + CliArgs.quoted(RepoPaths.resolve("assets/tokenizers/qwen3")),
                "synthetic_data.output_dir=" + CliArgs.quoted(dir.resolve("data")),
                "data.dataset_dir=" + CliArgs.quoted(dir.resolve("data")),
                "prep.output_table=" + CliArgs.quoted(dir.resolve("packed")),
                "train.output_dir=" + CliArgs.quoted(dir.resolve("lora")));
    }
}
