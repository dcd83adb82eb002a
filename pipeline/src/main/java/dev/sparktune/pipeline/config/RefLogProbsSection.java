package dev.sparktune.pipeline.config;

import dev.sparktune.trainer.api.PreferenceConfig;
import dev.sparktune.trainer.reference.RefLogProbsConfig;

/**
 * Reads what the reference pass needs: train.table and the version of it to score
 * (train.ref_logprobs_table_version), the reference model (train.ref_model, by default model.model_name_or_path) with
 * train.ref_model_adapters, train.ref_logprobs_table, train.ref_logprobs_batch_rows, and, as the number of tasks,
 * train.world_size (one model per task slot the training would use).
 */
final class RefLogProbsSection {
    private RefLogProbsSection() {}

    /**
     * The settings; null when the reference pass is not run or a problem was reported.
     *
     * @param needed     the verb runs the reference pass (ref-logprobs, or run with a ref_logprobs stage)
     * @param trainsAfter a run whose train stage follows the reference pass
     * @param preference the reference keys, as {@link TrainSection#preference} read them
     */
    static RefLogProbsConfig read(
            ValueReader reader, boolean needed, boolean trainsAfter, String modelPath, PreferenceConfig preference) {
        // checked for every verb, as every key that is set
        long batchRows = reader.wholeNumber("train.ref_logprobs_batch_rows", 1, 4096);
        long tableVersion = reader.wholeNumber("train.ref_logprobs_table_version", -1, Long.MAX_VALUE);
        if (!needed) {
            return null;
        }
        if (trainsAfter && tableVersion >= 0) {
            // train reads the latest version (or a resumed checkpoint's, which older reference versions serve): a
            // pass over another version would be spent before train refuses log-probs of the wrong version
            reader.fail(
                    "train.ref_logprobs_table_version",
                    "a run that trains scores the table version its train stage reads (the latest; a resumed "
                            + "checkpoint's older version is served by the reference table's older versions), so "
                            + tableVersion + " would be scored and then refused by train; score an older version "
                            + "with the ref-logprobs verb alone (sparktune ref-logprobs -c <conf> --set "
                            + "train.ref_logprobs_table_version=" + tableVersion + ") and leave this key unset in run");
        }
        // TrainSection has read these for every verb and reported a bad value (type or range) once
        String table = reader.reported("train.table")
                ? null
                : reader.text("train.table", "a table path (local path or Hadoop URI)");
        long lossChunk = reader.reported("train.loss_chunk_tokens") ? 1 : reader.integer("train.loss_chunk_tokens");
        long tasks = reader.reported("train.world_size") ? 1 : reader.integer("train.world_size");
        String model = preference.refModelOr(modelPath);
        String refAdapters = preference.refModelAdapters();
        if (refAdapters.contains(",")) {
            reader.fail(
                    "train.ref_model_adapters",
                    "one adapter is merged into the reference; merge a list into " + "one model with export first");
        }
        reader.requireSet(
                "train.ref_model",
                model,
                "required by ref-logprobs: the reference model directory (or set "
                        + "model.model_name_or_path, the default)");
        reader.requireSet(
                "train.table",
                table,
                "required by ref-logprobs: the packed Delta table written by prep (defaults "
                        + "to prep.output_table)");
        if (reader.hasProblems()) {
            return null;
        }
        try {
            return new RefLogProbsConfig(
                    table,
                    tableVersion,
                    model,
                    refAdapters,
                    preference.refLogprobsTableOf(table),
                    (int) lossChunk,
                    (int) tasks,
                    (int) batchRows);
        } catch (IllegalArgumentException e) {
            reader.fail("train.ref_logprobs_table", e.getMessage());
            return null;
        }
    }
}
