package dev.sparktune.trainer.task;

import dev.sparktune.trainer.data.RowSource;
import dev.sparktune.trainer.data.TrainRow;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Synthetic packed rows held in memory (a RowSource for trainer tests without Spark). */
final class InMemoryRows implements RowSource {
    private final List<TrainRow> rows;

    InMemoryRows(List<TrainRow> rows) {
        this.rows = rows;
    }

    /** {@code n} rows of at most {@code seqLen} tokens, 1-3 documents each, prompts masked with -100. */
    static InMemoryRows random(int n, int seqLen, int vocab, long seed) {
        Random rnd = new Random(seed);
        List<TrainRow> out = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            int docs = 1 + rnd.nextInt(3);
            int total = 0;
            int[] lens = new int[docs];
            for (int d = 0; d < docs; d++) {
                lens[d] = 2 + rnd.nextInt(Math.max(1, seqLen / docs - 2));
                total += lens[d];
            }
            int[] ids = new int[total];
            int[] labels = new int[total];
            int t = 0;
            for (int len : lens) {
                int prompt = rnd.nextInt(len);
                for (int i = 0; i < len; i++, t++) {
                    ids[t] = rnd.nextInt(vocab);
                    labels[t] = i < prompt ? -100 : ids[t];
                }
            }
            out.add(new TrainRow(ids, labels, lens));
        }
        return new InMemoryRows(out);
    }

    @Override
    public long size() {
        return rows.size();
    }

    @Override
    public Map<Long, TrainRow> read(long[] sortedIndices) {
        Map<Long, TrainRow> out = new HashMap<>();
        for (long i : sortedIndices) {
            out.put(i, rows.get((int) i));
        }
        if (!Arrays.equals(
                sortedIndices, Arrays.stream(sortedIndices).sorted().distinct().toArray())) {
            throw new IllegalArgumentException("indices must be sorted and distinct");
        }
        return out;
    }
}
