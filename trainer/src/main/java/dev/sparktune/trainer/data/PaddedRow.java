package dev.sparktune.trainer.data;

import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.LmHeadLoss;
import dev.sparktune.dl4j.layers.PackedBatch;
import java.util.Arrays;

/**
 * One packed-table row as a batch of one for the model: input_ids padded to the table's seq_len, the shifted
 * targets of each document ({@link CausalLm#targets}; none in the padding) and the block-diagonal layout.
 *
 * @param inputIds [seq_len] token ids, zero-padded
 * @param targets  [seq_len] each position's next supervised token within its document, or {@link LmHeadLoss#IGNORE}
 * @param packed   the row's documents
 */
public record PaddedRow(int[] inputIds, int[] targets, PackedBatch packed) {

    /** @throws IllegalArgumentException the row is longer than seq_len or its labels do not match its tokens */
    public static PaddedRow of(int[] inputIds, int[] labels, int[] docLens, int seqLen) {
        if (inputIds.length > seqLen || labels.length != inputIds.length) {
            throw new IllegalArgumentException("a row of " + inputIds.length + " tokens and " + labels.length
                    + " labels does not fit the table's seq_len " + seqLen);
        }
        int[] padded = Arrays.copyOf(labels, seqLen);
        Arrays.fill(padded, labels.length, seqLen, LmHeadLoss.IGNORE);
        PackedBatch packed = PackedBatch.fromDocLens(seqLen, new int[][] {docLens});
        return new PaddedRow(Arrays.copyOf(inputIds, seqLen), CausalLm.targets(padded, packed), packed);
    }
}
