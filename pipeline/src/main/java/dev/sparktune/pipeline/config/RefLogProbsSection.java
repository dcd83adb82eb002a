package dev.sparktune.pipeline.config;

import dev.sparktune.trainer.reference.RefLogProbsConfig;

/**
 * Reads what the reference pass needs: train.table, the reference model (train.ref_model, by default
 * model.model_name_or_path) with train.ref_model_adapters, train.ref_logprobs_table, and, as the number of tasks,
 * train.world_size (one model per task slot the training would use).
 */
final class RefLogProbsSection {
    private RefLogProbsSection() {
    }

    /** The settings; null when {@code verb} does not run the reference pass or a problem was reported. */
    static RefLogProbsConfig read(ValueReader reader, Verb verb, String modelPath) {
        String refModel = reader.text("train.ref_model", "a model directory, or \"\" for model.model_name_or_path");
        String refAdapters = reader.text("train.ref_model_adapters", "a PEFT adapter directory, or \"\"");
        String output = reader.text("train.ref_logprobs_table", "a Delta table path (local path or Hadoop URI), or "
                + "\"\" for train.table + _ref_logprobs");
        if (!verb.needsRefLogProbsSection()) {
            return null;
        }
        // TrainSection has read these for every verb and reported a bad value once
        String table = reader.reported("train.table") ? null
                : reader.text("train.table", "a table path (local path or Hadoop URI)");
        long lossChunk = reader.reported("train.loss_chunk_tokens") ? 1
                : reader.wholeNumber("train.loss_chunk_tokens", 1, Integer.MAX_VALUE);
        long tasks = reader.reported("train.world_size") ? 1 : reader.wholeNumber("train.world_size", 1, 4096);
        String model = refModel == null || refModel.isEmpty() ? modelPath : refModel;
        if (refAdapters != null && refAdapters.contains(",")) {
            reader.fail("train.ref_model_adapters", "one adapter is merged into the reference; merge a list into "
                    + "one model with export first");
        }
        if ("".equals(model)) {
            reader.fail("train.ref_model", "required by ref-logprobs: the reference model directory (or set "
                    + "model.model_name_or_path, the default)");
        }
        if ("".equals(table)) {
            reader.fail("train.table", "required by ref-logprobs: the packed Delta table written by prep (defaults "
                    + "to prep.output_table)");
        }
        if (reader.hasProblems()) {
            return null;
        }
        try {
            return new RefLogProbsConfig(table, model, refAdapters, output.isEmpty() ? table + "_ref_logprobs"
                    : output, (int) lossChunk, (int) tasks);
        } catch (IllegalArgumentException e) {
            reader.fail("train.ref_logprobs_table", e.getMessage());
            return null;
        }
    }
}
