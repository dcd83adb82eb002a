package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.layers.PackedBatch;
import dev.sparktune.trainer.data.TrainRow;

/**
 * One micro-batch of a rank: its rows padded into the model's fixed [B, T] buffers; absent rows (a short last
 * micro-batch) and padding carry no loss.
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
        double usefulFlops) {}
