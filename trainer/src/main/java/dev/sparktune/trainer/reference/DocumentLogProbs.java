package dev.sparktune.trainer.reference;

import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.LmHeadLoss;
import dev.sparktune.trainer.data.PaddedRows;
import dev.sparktune.trainer.data.TrainRow;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;

/**
 * Each document's summed log-prob of its supervised tokens, and their count: what the reference pass writes, what
 * eval's adapters-off reference computes, and (from the training model's own forward, {@link #sum}) what the step's
 * adapters-off reference computes, summed the one way. An instance scores up to {@code batchRows} packed rows per
 * forward with a reference model that keeps nothing for a backward ({@link CausalLm#forwardOnly}: one decoder
 * layer's activations whatever the depth); a short batch is padded with rows that attend only to themselves.
 */
public final class DocumentLogProbs {
    private final CausalLm lm;
    private final int batchRows;
    private final int seqLen;
    private double[] logps = new double[0]; // [B·T] of the last batch's row length T

    /**
     * Scores with {@code lm}, a {@link CausalLm#forwardOnly} model built for {@code batchRows} × {@code seqLen}
     * ({@link dev.sparktune.trainer.model.MergedModel#forwardOnly} loads one from a model directory).
     */
    public DocumentLogProbs(CausalLm lm, int batchRows, int seqLen) {
        this.lm = lm;
        this.batchRows = batchRows;
        this.seqLen = seqLen;
    }

    /** How many rows one forward scores. */
    public int batchRows() {
        return batchRows;
    }

    /**
     * The documents of {@code rows} (at most {@link #batchRows}), row by row in order, into {@code sums[d]} and
     * {@code counts[d]}.
     */
    public void score(List<TrainRow> rows, double[] sums, int[] counts) {
        PaddedRows padded = PaddedRows.of(rows, batchRows, seqLen);
        int t = padded.packed().seqLen();
        if (logps.length != batchRows * t) {
            logps = new double[batchRows * t];
        }
        lm.tokenLogProbs(padded.inputIds(), padded.targets(), padded.packed(), logps);
        int at = 0;
        for (int b = 0; b < rows.size(); b++) {
            int[] docLens = rows.get(b).docLens();
            sum(logps, padded.targets(), b * t, docLens, sums, counts, at);
            at += docLens.length;
        }
    }

    /**
     * Every document of {@code rows}, scored {@link #batchRows} rows per forward, as a lookup by doc_id;
     * {@code name} names the reference in its errors.
     */
    public RefLogProbs.Lookup lookup(String name, Collection<TrainRow> rows) {
        int docs = rows.stream().mapToInt(r -> r.docLens().length).sum();
        long[] ids = new long[docs];
        double[] sums = new double[docs];
        int[] counts = new int[docs];
        List<TrainRow> batch = new ArrayList<>(batchRows);
        int at = 0;
        for (Iterator<TrainRow> it = rows.iterator(); it.hasNext(); ) {
            TrainRow row = it.next();
            batch.add(row);
            System.arraycopy(row.docIds(), 0, ids, at, row.docIds().length);
            at += row.docIds().length;
            if (batch.size() == batchRows || !it.hasNext()) {
                int first =
                        at - batch.stream().mapToInt(r -> r.docLens().length).sum();
                double[] batchSums = new double[at - first];
                int[] batchCounts = new int[at - first];
                score(batch, batchSums, batchCounts);
                System.arraycopy(batchSums, 0, sums, first, batchSums.length);
                System.arraycopy(batchCounts, 0, counts, first, batchCounts.length);
                batch.clear();
            }
        }
        return RefLogProbs.Lookup.of(name, ids, sums, counts);
    }

    /**
     * The documents of one row, whose tokens start at {@code start} of the flat arrays, into {@code sums[at + d]} and
     * {@code counts[at + d]}.
     *
     * @param logps   each position's log-prob of its target (0 where there is none)
     * @param targets each position's target, or {@link LmHeadLoss#IGNORE}
     * @param docLens the row's documents in order
     */
    public static void sum(
            double[] logps, int[] targets, int start, int[] docLens, double[] sums, int[] counts, int at) {
        for (int d = 0; d < docLens.length; d++) {
            double sum = 0;
            int count = 0;
            for (int i = start; i < start + docLens[d]; i++) {
                if (targets[i] != LmHeadLoss.IGNORE) {
                    sum += logps[i];
                    count++;
                }
            }
            sums[at + d] = sum;
            counts[at + d] = count;
            start += docLens[d];
        }
    }
}
