package dev.sparktune.trainer.export;

/**
 * What {@link ModelExport} writes (the {@code export} config section; LLaMA-Factory's key names).
 *
 * @param modelPath     the base HF model directory (any Hadoop FS)
 * @param adapterPath   PEFT LoRA adapter to merge (or to copy with {@code adapterOnly}); empty = the model alone
 * @param exportDir     the directory to write (any Hadoop FS); replaced as a whole
 * @param maxShardBytes safetensors shard size limit (export_size, in GB, in the config)
 * @param adapterOnly   copy the adapter files instead of merging
 */
public record ExportConfig(
        String modelPath, String adapterPath, String exportDir, long maxShardBytes, boolean adapterOnly) {
    public ExportConfig {
        if (modelPath == null || modelPath.isBlank()) {
            throw new IllegalArgumentException("model_name_or_path is required");
        }
        if (exportDir == null || exportDir.isBlank()) {
            throw new IllegalArgumentException("export.export_dir is required");
        }
        adapterPath = adapterPath == null ? "" : adapterPath;
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("export.export_size must be > 0");
        }
        if (adapterOnly && adapterPath.isEmpty()) {
            throw new IllegalArgumentException("export.adapter_only = true needs model.adapter_name_or_path");
        }
    }
}
