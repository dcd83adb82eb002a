package dev.sparktune.trainer.reference;

import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.LmHeadLoss;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.trainer.data.PaddedRow;

/**
 * Each document's summed log-prob of its supervised tokens, and their count: what the reference pass writes, what
 * eval's adapters-off reference computes, and (from the training model's own forward, {@link #sum}) what the step's
 * adapters-off reference computes, summed the one way. An instance scores packed rows with a reference model, one
 * row at a time.
 */
public final class DocumentLogProbs {
    private final CausalLm lm;
    private final int seqLen;
    private final double[] logps;

    /** Scores rows of up to {@code seqLen} tokens with {@code model} (fp32, as loaded). */
    public DocumentLogProbs(HfModelDir.Loaded model, int seqLen, int lossChunkTokens) {
        this.lm = new CausalLm(
                model.config(), model.layout(), model.params(), null, 1, seqLen, Math.min(lossChunkTokens, seqLen));
        this.seqLen = seqLen;
        this.logps = new double[seqLen];
    }

    /** The documents of one packed row (its HF labels, unshifted) into {@code sums[d]} and {@code counts[d]}. */
    public void scoreRow(int[] inputIds, int[] labels, int[] docLens, double[] sums, int[] counts) {
        PaddedRow padded = PaddedRow.of(inputIds, labels, docLens, seqLen);
        lm.scoreTokenLogProbs(padded.inputIds(), padded.targets(), padded.packed(), logps);
        sum(logps, padded.targets(), 0, docLens, sums, counts, 0);
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
