package dev.sparktune.bench;

import dev.sparktune.trainer.data.RowSource;
import dev.sparktune.trainer.data.TrainRow;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Full rows of random tokens, every token supervised (one document per row), generated from (seed, index) on read;
 * counts the time reads take (the data share of a step).
 */
final class RandomRows implements RowSource {
    private final long rows;
    private final int seqLen;
    private final int vocab;
    private final long seed;
    private final AtomicLong nanos = new AtomicLong();

    RandomRows(long rows, int seqLen, int vocab, long seed) {
        this.rows = rows;
        this.seqLen = seqLen;
        this.vocab = vocab;
        this.seed = seed;
    }

    long nanos() {
        return nanos.get();
    }

    @Override
    public long size() {
        return rows;
    }

    @Override
    public Map<Long, TrainRow> read(long[] sortedIndices) {
        long t0 = System.nanoTime();
        Map<Long, TrainRow> out = new HashMap<>();
        for (long i : sortedIndices) {
            SplittableRandom random = new SplittableRandom(seed * 31 + i);
            int[] ids = new int[seqLen];
            for (int t = 0; t < seqLen; t++) {
                ids[t] = random.nextInt(vocab);
            }
            out.put(i, new TrainRow(ids, ids.clone(), new int[] {seqLen}));
        }
        nanos.addAndGet(System.nanoTime() - t0);
        return out;
    }
}
