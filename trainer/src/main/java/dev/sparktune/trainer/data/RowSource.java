package dev.sparktune.trainer.data;

import java.util.Map;

/**
 * The training rows of one pinned dataset version, addressed by a stable global index in [0, {@link #size()}), so the
 * order a trainer visits them can be a function of (seed, epoch) only, whatever the world size.
 */
public interface RowSource {

    /** Number of training rows. */
    long size();

    /**
     * The rows at {@code sortedIndices} (ascending, distinct, each in [0, size())), keyed by index. Implementations read
     * only what they must (a rank asks for its share of one epoch at a time).
     */
    Map<Long, TrainRow> read(long[] sortedIndices);
}
