package dev.sparktune.pipeline.config;

import dev.sparktune.trainer.export.ExportConfig;

/** Reads the {@code export} section (plus the model keys) into an {@link ExportConfig}. */
final class ExportSection {
    private static final double BYTES_PER_GB = 1e9;

    private ExportSection() {}

    /**
     * Null when the section is not needed or a problem was reported.
     *
     * @param needed the verb exports (export, or run with an export stage): its required keys must be set
     */
    static ExportConfig read(ValueReader reader, Verb verb, boolean needed, String modelPath, String adapterPath) {
        String exportDir = reader.text("export.export_dir", "a directory (local path or Hadoop URI)");
        Double sizeGb = reader.number("export.export_size", "a size in GB > 0");
        boolean adapterOnly = reader.bool("export.adapter_only");
        if (sizeGb != null && !(sizeGb > 0 && sizeGb * BYTES_PER_GB < Long.MAX_VALUE)) {
            reader.fail("export.export_size", reader.raw("export.export_size"), "a size in GB > 0");
        }
        if (needed) {
            reader.requireSet("model.model_name_or_path", modelPath, "required by export: the base model directory");
            reader.requireSet("export.export_dir", exportDir, "required by export: the directory to write");
            if (verb == Verb.EXPORT && adapterOnly && "".equals(adapterPath)) {
                reader.fail("export.adapter_only", "needs model.adapter_name_or_path: the adapter to copy");
            }
        }
        if (!needed || reader.hasProblems()) {
            return null;
        }
        return new ExportConfig(modelPath, adapterPath, exportDir, (long) (sizeGb * BYTES_PER_GB), adapterOnly);
    }
}
