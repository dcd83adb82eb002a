package dev.sparktune.trainer.eval;

import dev.sparktune.trainer.api.PreferenceConfig;
import java.io.Serializable;

/**
 * What {@link EvalJob} evaluates and how (the {@code eval} config section; LLaMA-Factory's generation key names).
 *
 * @param modelPath           HF model directory (any Hadoop FS)
 * @param adapterPath         PEFT LoRA adapter merged into the model first; empty = none
 * @param table               the packed Delta table; its {@code eval} split is evaluated
 * @param tableVersion        the Delta version to read; -1 = latest
 * @param maxSamples          documents scored by generation (a fixed hash-ordered sample); 0 = all
 * @param predictWithGenerate generate answers and score them (else loss and perplexity only)
 * @param maxNewTokens        most tokens generated per answer
 * @param batchSize           prompts generated together per task (LLaMA-Factory's per_device_eval_batch_size)
 * @param doSample            sample instead of greedy decoding
 * @param outputDir           where eval_results.json and generated_predictions.jsonl go; empty = not written
 * @param lossChunkTokens     tokens per lm_head + cross-entropy chunk
 * @param preference          how a table of pairs is scored (pref_loss and its options; the reference model fixed:
 *                            {@link PreferenceConfig#withReferenceOf}); a table of single documents ignores it
 */
public record EvalConfig(
        String modelPath,
        String adapterPath,
        String table,
        long tableVersion,
        int maxSamples,
        boolean predictWithGenerate,
        int maxNewTokens,
        int batchSize,
        boolean doSample,
        double temperature,
        double topP,
        int topK,
        long seed,
        String outputDir,
        int lossChunkTokens,
        PreferenceConfig preference)
        implements Serializable {
    public EvalConfig {
        require(modelPath != null && !modelPath.isBlank(), "model_name_or_path is required");
        require(table != null && !table.isBlank(), "eval.table is required");
        adapterPath = adapterPath == null ? "" : adapterPath;
        outputDir = outputDir == null ? "" : outputDir;
        require(tableVersion >= -1, "eval.table_version must be >= 0, or -1 for the latest");
        require(maxSamples >= 0, "eval.max_samples must be >= 0 (0 = all)");
        require(maxNewTokens >= 1, "eval.max_new_tokens must be >= 1");
        require(batchSize >= 1, "eval.per_device_eval_batch_size must be >= 1");
        require(temperature > 0, "eval.temperature must be > 0");
        require(topP > 0 && topP <= 1, "eval.top_p must be in (0, 1]");
        require(topK >= 0, "eval.top_k must be >= 0 (0 = no limit)");
        require(lossChunkTokens >= 1, "loss_chunk_tokens must be >= 1");
        require(
                preference != null && preference.namesRefModel(),
                "the preference settings with their " + "reference model are required");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The same evaluation of another model (e.g. the base before training, the export after). */
    public EvalConfig withModel(String model, String adapter, String output) {
        return new EvalConfig(
                model,
                adapter,
                table,
                tableVersion,
                maxSamples,
                predictWithGenerate,
                maxNewTokens,
                batchSize,
                doSample,
                temperature,
                topP,
                topK,
                seed,
                output,
                lossChunkTokens,
                preference);
    }
}
