package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.LmHeadLoss;
import dev.sparktune.dl4j.layers.PackedBatch;
import dev.sparktune.trainer.data.TrainRow;
import java.util.Arrays;

/**
 * One micro-batch of a rank: its rows padded to [B, T], T the {@link CausalLm#rowLength} of its longest row (the
 * model runs shorter rows over its buffers for the table's seq_len); absent rows (a short last micro-batch) and
 * padding carry no loss.
 *
 * @param rowIds      the rows' global indices (fewer than B when padded)
 * @param rows        the rows, in batch order ({@code rows.length == rowIds.length})
 * @param inputIds    [B·T] token ids
 * @param targets     [B·T] each position's next supervised token within its document, or -100
 * @param packed      the documents of each row (block-diagonal attention)
 * @param seqLen      T
 * @param tokens      real (not padding) tokens
 * @param usefulFlops the FLOPs the rows' documents need
 */
record MicroBatch(
        long[] rowIds,
        TrainRow[] rows,
        int[] inputIds,
        int[] targets,
        PackedBatch packed,
        int seqLen,
        long tokens,
        double usefulFlops) {
    /**
     * Padding alone, no row and no loss: what a rank with fewer micro-batches than the busiest rank of a step runs
     * under full_shard, whose forward and backward gather layers with every rank.
     */
    static MicroBatch padding(int batchRows, int tableSeqLen) {
        int seqLen = CausalLm.rowLength(1, tableSeqLen);
        int[] targets = new int[batchRows * seqLen];
        Arrays.fill(targets, LmHeadLoss.IGNORE);
        return new MicroBatch(
                new long[0],
                new TrainRow[0],
                new int[batchRows * seqLen],
                targets,
                PackedBatch.fromDocLens(seqLen, new int[batchRows][0]),
                seqLen,
                0,
                0);
    }
}
