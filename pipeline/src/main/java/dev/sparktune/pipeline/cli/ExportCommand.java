package dev.sparktune.pipeline.cli;

import dev.sparktune.pipeline.config.SparkTuneConfig;
import dev.sparktune.pipeline.config.Verb;
import dev.sparktune.trainer.export.ExportConfig;
import dev.sparktune.trainer.export.ModelExport;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code sparktune export}: the base model with model.adapter_name_or_path merged in, saved as an HF model directory
 * at export.export_dir; or the adapter alone with export.adapter_only.
 */
@Command(name = "export",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Merge the LoRA adapter (model.adapter_name_or_path) into the base model "
                + "(model.model_name_or_path) and save a Hugging Face model directory at export.export_dir (safetensors "
                + "shards of at most export.export_size GB, config.json, generation_config.json, tokenizer files); or, "
                + "with export.adapter_only = true, copy the PEFT adapter there. Runs on the driver; a previous export "
                + "in export_dir is replaced only when the new one is complete.")
final class ExportCommand implements Callable<Integer> {
    @Mixin
    private ConfigOptions options;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Optional<SparkTuneConfig> loaded = options.load(Verb.EXPORT,
                c -> InputPathCheck.forExport(c.export(), c.spark()), spec);
        if (loaded.isEmpty()) {
            return 0;
        }
        SparkTuneConfig config = loaded.get();
        ExportConfig export = config.export();
        List<String> files = SparkSessions.withSession(config.spark(),
                spark -> ModelExport.run(export, spark.sparkContext().hadoopConfiguration()));
        err.println("export: " + (export.adapterOnly() ? "adapter copied" : export.adapterPath().isEmpty()
                ? "model saved" : "adapter merged into the base model") + " in " + export.exportDir());
        err.flush();
        out.println(String.join("\n", files));
        out.flush();
        return 0;
    }
}
