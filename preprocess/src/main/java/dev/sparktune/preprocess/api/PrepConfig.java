package dev.sparktune.preprocess.api;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * Everything the prep job needs, in typed sections (the chat template, how labels are made, the eval split, where the
 * outputs go). Built by the pipeline's config reader from the {@code data} and {@code prep} sections with
 * {@link #builder()} (keys named as in LLaMA-Factory where the concept exists), which checks every rule, each problem
 * under its key; see reference.conf for each key's meaning and default.
 *
 * @param datasets   dataset names, looked up in {@code datasetDir/dataset_info.json}, or direct file/dir paths
 * @param datasetDir folder (any Hadoop path) holding dataset_info.json and relative dataset files
 * @param maxSamples per-dataset cap on input records (first N, in file order), or 0 for all
 * @param modelPath  model directory holding tokenizer.json and tokenizer_config.json (local path or Hadoop URI)
 * @param stage      sft, pt or dpo
 * @param template   the chat template and its variables
 * @param labels     cutoff and labelling of each document
 * @param packing    several whole documents per row (block-diagonal attention)
 * @param split      which documents go to the eval split
 * @param partitions Spark partitions for tokenization and packing; 0 = 2 × default parallelism
 * @param outputs    the tables and stats file prep writes
 */
public record PrepConfig(
        List<String> datasets,
        String datasetDir,
        long maxSamples,
        String modelPath,
        Stage stage,
        Template template,
        LabelOptions labels,
        boolean packing,
        Split split,
        int partitions,
        Outputs outputs)
        implements Serializable {

    public PrepConfig {
        datasets = List.copyOf(datasets);
        Objects.requireNonNull(datasetDir, "datasetDir");
        Objects.requireNonNull(modelPath, "modelPath");
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(split, "split");
        Objects.requireNonNull(outputs, "outputs");
    }

    /**
     * @param name           model.template: {@code auto} (the tokenizer's own chat_template) or a named template
     * @param enableThinking model.enable_thinking: for reasoning templates (qwen3), whether the model thinks
     */
    public record Template(String name, boolean enableThinking) implements Serializable {
        public Template {
            Objects.requireNonNull(name, "template");
        }
    }

    /**
     * @param valSize data.val_size: a fraction in (0,1), a document count ≥ 1, or 0 for none
     * @param seed    data.seed: salt of the document hash that decides the split
     */
    public record Split(double valSize, long seed) implements Serializable {}

    /**
     * @param table        the packed Delta table's path
     * @param rejectsTable the rejects Delta table's path
     * @param statsPath    where the stats JSON is written (any Hadoop path)
     */
    public record Outputs(String table, String rejectsTable, String statsPath) implements Serializable {
        public Outputs {
            Objects.requireNonNull(table, "table");
            Objects.requireNonNull(rejectsTable, "rejectsTable");
            Objects.requireNonNull(statsPath, "statsPath");
        }

        /** The rejects table and stats file beside {@code table}, named as reference.conf defaults them. */
        public static Outputs beside(String table) {
            return new Outputs(table, table + "_rejects", table + "_stats.json");
        }
    }

    /** Tokens per packed row: cutoff_len, or two of it for dpo, whose pairs are never split across rows. */
    public int seqLen() {
        return stage == Stage.DPO ? 2 * labels.cutoffLen() : labels.cutoffLen();
    }

    /** A builder with reference.conf's defaults (template auto, sft, cutoff 2048, no packing, no eval split). */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The settings by LLaMA-Factory's key names; the datasets, their folder, the model and the outputs are needed.
     * {@link #build} checks every rule (each value's range, and those between keys, written here only) and reports
     * all problems at once.
     */
    public static final class Builder {
        private List<String> datasets = List.of();
        private String datasetDir;
        private long maxSamples;
        private String modelPath;
        private Stage stage = Stage.SFT;
        private String template = "auto";
        private boolean enableThinking = true;
        private int cutoffLen = 2048;
        private boolean trainOnPrompt;
        private boolean maskHistory;
        private OverlongPolicy overlong = OverlongPolicy.TRUNCATE;
        private boolean packing;
        private double valSize;
        private long seed = 42;
        private int partitions;
        private Outputs outputs;

        private Builder() {}

        public Builder datasets(List<String> v) {
            datasets = v;
            return this;
        }

        public Builder datasetDir(String v) {
            datasetDir = v;
            return this;
        }

        public Builder maxSamples(long v) {
            maxSamples = v;
            return this;
        }

        public Builder modelPath(String v) {
            modelPath = v;
            return this;
        }

        public Builder stage(Stage v) {
            stage = v;
            return this;
        }

        public Builder template(String v) {
            template = v;
            return this;
        }

        public Builder enableThinking(boolean v) {
            enableThinking = v;
            return this;
        }

        public Builder cutoffLen(int v) {
            cutoffLen = v;
            return this;
        }

        public Builder trainOnPrompt(boolean v) {
            trainOnPrompt = v;
            return this;
        }

        public Builder maskHistory(boolean v) {
            maskHistory = v;
            return this;
        }

        public Builder overlong(OverlongPolicy v) {
            overlong = v;
            return this;
        }

        public Builder packing(boolean v) {
            packing = v;
            return this;
        }

        public Builder valSize(double v) {
            valSize = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder partitions(int v) {
            partitions = v;
            return this;
        }

        public Builder outputs(Outputs v) {
            outputs = v;
            return this;
        }

        /** The config, or a {@link PrepConfigException} with every problem under its key. */
        public PrepConfig build() {
            SettingProblems p = new SettingProblems();
            p.require(
                    datasets != null && !datasets.isEmpty(), "data.dataset", "needs at least one dataset name or path");
            p.require(
                    datasetDir != null && !datasetDir.isBlank(),
                    "data.dataset_dir",
                    "is required (the folder holding dataset_info.json)");
            p.require(
                    modelPath != null && !modelPath.isBlank(),
                    "model.model_name_or_path",
                    "is required (the model directory holding tokenizer.json)");
            p.require(
                    outputs != null && !outputs.table().isBlank(),
                    "prep.output_table",
                    "is required (the packed Delta table's path)");
            // each value's own range (the config reader checks only that a value is a number, a whole number, ...)
            p.atLeast("data.max_samples", maxSamples, 0);
            p.atLeast("data.cutoff_len", cutoffLen, 2); // a document needs a token to predict from and one to predict
            p.allowed(
                    valSize >= 0 && Double.isFinite(valSize) && (valSize < 1 || valSize == Math.rint(valSize)),
                    "data.val_size",
                    valSize,
                    "a fraction in [0, 1), a whole document count >= 1, or 0 for none");
            p.atLeast("prep.partitions", partitions, 0);
            // the rules between keys
            p.require(
                    !(trainOnPrompt && maskHistory),
                    "data.mask_history",
                    "cannot be true together with data.train_on_prompt = true (history turns are either masked or "
                            + "trained on); set one of them to false");
            p.throwIfAny(PrepConfigException::new);
            return new PrepConfig(
                    datasets,
                    datasetDir,
                    maxSamples,
                    modelPath,
                    stage,
                    new Template(template, enableThinking),
                    new LabelOptions(cutoffLen, trainOnPrompt, maskHistory, overlong),
                    packing,
                    new Split(valSize, seed),
                    partitions,
                    outputs);
        }
    }
}
