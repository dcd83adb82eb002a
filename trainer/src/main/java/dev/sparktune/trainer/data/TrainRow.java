package dev.sparktune.trainer.data;

import java.util.Arrays;

/**
 * One row of the packed table as the trainer consumes it: unpadded {@code input_ids} and {@code labels} (HF-style,
 * aligned with the inputs, -100 = no loss) and the document lengths that partition them (position ids restart per
 * document, so they are implied).
 */
public record TrainRow(int[] inputIds, int[] labels, int[] docLens) {
    public TrainRow {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException("input_ids has " + inputIds.length + " tokens but labels "
                    + labels.length);
        }
        long sum = 0;
        for (int len : docLens) {
            if (len <= 0) {
                throw new IllegalArgumentException("doc_lens must be positive, got " + Arrays.toString(docLens));
            }
            sum += len;
        }
        if (sum != inputIds.length) {
            throw new IllegalArgumentException("doc_lens " + Arrays.toString(docLens) + " sum to " + sum
                    + " but the row has " + inputIds.length + " tokens");
        }
    }

    public int numTokens() {
        return inputIds.length;
    }
}
