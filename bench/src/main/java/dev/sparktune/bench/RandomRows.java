package dev.sparktune.bench;

import dev.sparktune.trainer.data.RowSource;
import dev.sparktune.trainer.data.TrainRow;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Full rows of random tokens, every token supervised, each row packing documents of {@code docLens}, generated from
 * (seed, index) on read; counts the time reads take (the data share of a step).
 */
final class RandomRows implements RowSource {
    private final long rows;
    private final int seqLen;
    private final int[] docLens;
    private final int vocab;
    private final long seed;
    private final AtomicLong nanos = new AtomicLong();

    RandomRows(long rows, int seqLen, int[] docLens, int vocab, long seed) {
        if (Arrays.stream(docLens).sum() != seqLen) {
            throw new IllegalArgumentException(
                    "documents of " + Arrays.toString(docLens) + " do not fill " + seqLen + " tokens");
        }
        this.rows = rows;
        this.seqLen = seqLen;
        this.docLens = docLens.clone();
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
            out.put(i, new TrainRow(ids, ids.clone(), docLens.clone()));
        }
        nanos.addAndGet(System.nanoTime() - t0);
        return out;
    }
}
