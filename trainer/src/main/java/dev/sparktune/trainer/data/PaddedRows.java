package dev.sparktune.trainer.data;

import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.LmHeadLoss;
import dev.sparktune.dl4j.layers.PackedBatch;
import java.util.Arrays;
import java.util.List;

/**
 * Packed-table rows as one batch of B rows for the model: each row's input_ids padded to the batch's row length T
 * ({@link CausalLm#rowLength} of its longest row, at most the table's seq_len: padding costs what real tokens cost),
 * the shifted targets of each document ({@link CausalLm#targets}; none in the padding) and the block-diagonal layout.
 * Rows past the ones given (a short last batch) are padding only: they carry no target and, attending only to
 * themselves, change nothing in the others.
 *
 * @param inputIds [B·T] token ids, zero-padded
 * @param targets  [B·T] each position's next supervised token within its document, or {@link LmHeadLoss#IGNORE}
 * @param packed   the rows' documents (its seqLen is T)
 */
public record PaddedRows(int[] inputIds, int[] targets, PackedBatch packed) {

    /**
     * One row as a batch of one.
     *
     * @throws IllegalArgumentException the row is longer than seq_len or its labels do not match its tokens
     */
    public static PaddedRows of(int[] inputIds, int[] labels, int[] docLens, int seqLen) {
        return of(List.of(new TrainRow(inputIds, labels, docLens)), 1, seqLen);
    }

    /**
     * {@code rows} as the first rows of a batch of {@code batchRows}.
     *
     * @throws IllegalArgumentException more rows than {@code batchRows}, or a row longer than seq_len
     */
    public static PaddedRows of(List<TrainRow> rows, int batchRows, int seqLen) {
        if (rows.size() > batchRows) {
            throw new IllegalArgumentException(rows.size() + " rows do not fit a batch of " + batchRows);
        }
        int longest = 1;
        for (TrainRow row : rows) {
            if (row.numTokens() > seqLen) {
                throw new IllegalArgumentException(
                        "a row of " + row.numTokens() + " tokens does not fit the table's seq_len " + seqLen);
            }
            longest = Math.max(longest, row.numTokens());
        }
        int t = CausalLm.rowLength(longest, seqLen);
        int[] ids = new int[batchRows * t];
        int[] labels = new int[batchRows * t];
        Arrays.fill(labels, LmHeadLoss.IGNORE);
        int[][] docLens = new int[batchRows][0];
        for (int b = 0; b < rows.size(); b++) {
            TrainRow row = rows.get(b);
            System.arraycopy(row.inputIds(), 0, ids, b * t, row.numTokens());
            System.arraycopy(row.labels(), 0, labels, b * t, row.numTokens());
            docLens[b] = row.docLens();
        }
        PackedBatch packed = PackedBatch.fromDocLens(t, docLens);
        return new PaddedRows(ids, CausalLm.targets(labels, packed), packed);
    }
}
