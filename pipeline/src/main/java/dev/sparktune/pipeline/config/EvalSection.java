package dev.sparktune.pipeline.config;

import dev.sparktune.trainer.api.PreferenceConfig;
import dev.sparktune.trainer.eval.EvalConfig;

/** Reads the {@code eval} section (plus the model keys) into an {@link EvalConfig}. */
final class EvalSection {
    private EvalSection() {}

    /**
     * Null when the section is not needed or a problem was reported.
     *
     * @param needed     the verb evaluates (eval, or run with an eval stage): its required keys must be set
     * @param preference how a table of pairs is scored, as {@link TrainSection#preference} read it
     */
    static EvalConfig read(
            ValueReader reader,
            boolean needed,
            String modelPath,
            String adapterPath,
            long lossChunkTokens,
            PreferenceConfig preference) {
        String table = reader.text("eval.table", "a table path (local path or Hadoop URI)");
        long version = reader.wholeNumber("eval.table_version", -1, Long.MAX_VALUE);
        String outputDir = reader.text("eval.output_dir", "a directory (local path or Hadoop URI), or \"\"");
        long maxSamples = reader.wholeNumber("eval.max_samples", 0, Integer.MAX_VALUE);
        boolean generate = reader.bool("eval.predict_with_generate");
        long maxNewTokens = reader.wholeNumber("eval.max_new_tokens", 1, Integer.MAX_VALUE);
        long batchSize = reader.wholeNumber("eval.per_device_eval_batch_size", 1, 4096);
        boolean doSample = reader.bool("eval.do_sample");
        Double temperature = reader.number("eval.temperature", "a number > 0");
        Double topP = reader.number("eval.top_p", "a number in (0, 1]");
        long topK = reader.wholeNumber("eval.top_k", 0, Integer.MAX_VALUE);
        long seed = TrainSection.inheritedSeed(reader, "eval.seed");
        if (temperature != null && !(temperature > 0 && temperature < Double.POSITIVE_INFINITY)) {
            reader.fail("eval.temperature", reader.raw("eval.temperature"), "a number > 0");
        }
        if (topP != null && !(topP > 0 && topP <= 1)) {
            reader.fail("eval.top_p", reader.raw("eval.top_p"), "a number in (0, 1]");
        }
        if (needed) {
            reader.requireSet(
                    "model.model_name_or_path", modelPath, "required by eval: the model directory to evaluate");
            reader.requireSet(
                    "eval.table",
                    table,
                    "required by eval: the packed Delta table whose eval split is scored "
                            + "(defaults to prep.output_table)");
        }
        if (!needed || reader.hasProblems()) {
            return null;
        }
        return new EvalConfig(
                modelPath,
                adapterPath,
                table,
                version,
                (int) maxSamples,
                generate,
                (int) maxNewTokens,
                (int) batchSize,
                doSample,
                temperature,
                topP,
                (int) topK,
                seed,
                outputDir,
                (int) lossChunkTokens,
                preference.withReferenceOf(modelPath));
    }
}
