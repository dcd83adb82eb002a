package dev.sparktune.dl4j.layers;

/**
 * Per-row keys of the dropout masks of the next forward, shared by every {@link LoraLinear} of a model: the mask of
 * batch row b in a layer depends only on (layer seed, key b). A trainer sets key b from (step, global row index), so
 * the masks a row gets do not depend on the world size, the micro-batching, or a resume from a checkpoint.
 */
public final class DropoutKeys {
    private long[] keys = new long[0];

    /** The keys of the next forward's batch rows, in order. */
    public void set(long[] rowKeys) {
        keys = rowKeys.clone();
    }

    /** Batch rows keyed; 0 until {@link #set} is called (layers then draw from their own sequential generator). */
    int size() {
        return keys.length;
    }

    long key(int row) {
        return keys[row];
    }

    /** The key of a row of {@code step} at global row index {@code row} (padding rows: any distinct negative row). */
    public static long of(int step, long row) {
        return ((long) step << 40) ^ (row & 0xFF_FFFF_FFFFL) ^ (row < 0 ? Long.MIN_VALUE : 0);
    }
}
