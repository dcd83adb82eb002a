package dev.sparktune.pipeline.cli;

import dev.sparktune.pipeline.config.Verb;
import dev.sparktune.trainer.export.ModelExport;
import picocli.CommandLine.Command;

/**
 * {@code sparktune export}: the base model with model.adapter_name_or_path merged in, saved as an HF model directory
 * at export.export_dir; or the adapter alone with export.adapter_only.
 */
@Command(
        name = "export",
        description = "Merge the LoRA adapter (model.adapter_name_or_path) into the base model "
                + "(model.model_name_or_path) and save a Hugging Face model directory at export.export_dir (safetensors "
                + "shards of at most export.export_size GB, config.json, generation_config.json, tokenizer files); or, "
                + "with export.adapter_only = true, copy the PEFT adapter there. Runs on the driver; a previous export "
                + "in export_dir is replaced only when the new one is complete.")
final class ExportCommand extends JobVerb {
    @Override
    public Integer call() {
        return run(
                options.load(Verb.EXPORT, c -> InputPathCheck.forExport(c.export(), c.spark()), spec),
                (c, spark) -> ModelExport.run(c.export(), spark.sparkContext().hadoopConfiguration()),
                (c, files) -> "export: "
                        + (c.export().adapterOnly()
                                ? "adapter copied"
                                : c.export().adapterPath().isEmpty()
                                        ? "model saved"
                                        : "adapter merged into the base model")
                        + " in " + c.export().exportDir(),
                files -> String.join("\n", files));
    }
}
