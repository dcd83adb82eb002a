package dev.sparktune.trainer.reference;

import java.io.Serializable;

/**
 * What the reference pass scores and where it writes.
 *
 * @param table           the packed table (both splits of the version below are scored)
 * @param tableVersion    its Delta version to score (train.ref_logprobs_table_version), -1 = the latest
 * @param modelPath       the reference model directory (LLaMA-Factory's ref_model; by default the base model)
 * @param adapterPath     a PEFT LoRA adapter merged into it first (ref_model_adapters), or ""
 * @param outputTable     the Delta table the log-probs go to, keyed by doc_id
 * @param lossChunkTokens tokens per lm_head chunk (train.loss_chunk_tokens)
 * @param partitions      tasks to spread the rows over; 0 = Spark's default parallelism (one model per task)
 * @param batchRows       packed rows each forward scores together (train.ref_logprobs_batch_rows)
 */
public record RefLogProbsConfig(
        String table,
        long tableVersion,
        String modelPath,
        String adapterPath,
        String outputTable,
        int lossChunkTokens,
        int partitions,
        int batchRows)
        implements Serializable {
    public RefLogProbsConfig {
        require(table, "the packed table");
        require(modelPath, "the reference model");
        require(outputTable, "the output table");
        adapterPath = adapterPath == null ? "" : adapterPath.strip();
        if (outputTable.strip().equals(table.strip())) {
            throw new IllegalArgumentException("the reference log-probs would replace the packed table " + table
                    + " they are computed from; give ref_logprobs_table another path");
        }
        if (tableVersion < -1) {
            throw new IllegalArgumentException(
                    "the table version must be >= -1 (-1 = the latest), got " + tableVersion);
        }
        if (lossChunkTokens < 1) {
            throw new IllegalArgumentException("loss_chunk_tokens must be >= 1, got " + lossChunkTokens);
        }
        if (batchRows < 1) {
            throw new IllegalArgumentException("ref_logprobs_batch_rows must be >= 1, got " + batchRows);
        }
        if (partitions < 0) {
            throw new IllegalArgumentException("partitions must be >= 0, got " + partitions);
        }
    }

    private static void require(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " is required");
        }
    }
}
