package dev.sparktune.preprocess.api;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * Everything the prep job needs, already validated. Built by the pipeline's config loader from the {@code data}
 * and {@code prep} sections (keys named as in LLaMA-Factory where the concept exists); see reference.conf for each
 * key's meaning and default.
 *
 * @param datasets        dataset names, looked up in {@code datasetDir/dataset_info.json}, or direct file/dir paths
 * @param datasetDir      folder (any Hadoop path) holding dataset_info.json and relative dataset files
 * @param modelPath       model directory holding tokenizer.json and tokenizer_config.json (local path or Hadoop URI)
 * @param template        {@code auto} (the tokenizer's own chat_template) or a named template
 * @param stage           sft, pt or dpo
 * @param cutoffLen       maximum tokens per document (LLaMA-Factory's cutoff_len; for dpo, per chosen or rejected
 *                        document, a row holding whole pairs: {@link #seqLen})
 * @param packing         several whole documents per row (block-diagonal attention)
 * @param trainOnPrompt   labels on prompt tokens too
 * @param maskHistory     labels on the last assistant turn only
 * @param enableThinking  for reasoning templates (qwen3): whether the model thinks (template variable)
 * @param overlong        what happens to SFT documents over cutoffLen
 * @param valSize         eval split: a fraction in (0,1), a document count ≥ 1, or 0 for none
 * @param maxSamples      per-dataset cap on input records (first N, in file order), or 0 for all
 * @param seed            salt of the document hash that decides the eval split
 * @param partitions      Spark partitions for tokenization and packing; 0 = 2 × default parallelism
 * @param outputTable     the packed Delta table's path
 * @param rejectsTable    the rejects Delta table's path
 * @param statsPath       where the stats JSON is written (any Hadoop path)
 */
public record PrepConfig(
        List<String> datasets,
        String datasetDir,
        String modelPath,
        String template,
        Stage stage,
        int cutoffLen,
        boolean packing,
        boolean trainOnPrompt,
        boolean maskHistory,
        boolean enableThinking,
        OverlongPolicy overlong,
        double valSize,
        long maxSamples,
        long seed,
        int partitions,
        String outputTable,
        String rejectsTable,
        String statsPath) implements Serializable {

    public PrepConfig {
        datasets = List.copyOf(datasets);
        if (datasets.isEmpty()) {
            throw new IllegalArgumentException("data.dataset: at least one dataset is required");
        }
        Objects.requireNonNull(datasetDir, "datasetDir");
        Objects.requireNonNull(modelPath, "modelPath");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(overlong, "overlong");
        Objects.requireNonNull(outputTable, "outputTable");
        Objects.requireNonNull(rejectsTable, "rejectsTable");
        Objects.requireNonNull(statsPath, "statsPath");
        if (cutoffLen < 2) {
            throw new IllegalArgumentException("data.cutoff_len must be >= 2, got " + cutoffLen);
        }
        if (valSize < 0 || Double.isNaN(valSize) || (valSize >= 1 && valSize != Math.rint(valSize))) {
            throw new IllegalArgumentException(
                    "data.val_size must be a fraction in [0,1) or a whole document count, got " + valSize);
        }
        if (maxSamples < 0) {
            throw new IllegalArgumentException("data.max_samples must be >= 0 (0 = all), got " + maxSamples);
        }
        if (partitions < 0) {
            throw new IllegalArgumentException("prep.partitions must be >= 0 (0 = auto), got " + partitions);
        }
    }

    /** Tokens per packed row: cutoff_len, or two of it for dpo, whose pairs are never split across rows. */
    public int seqLen() {
        return stage == Stage.DPO ? 2 * cutoffLen : cutoffLen;
    }
}
