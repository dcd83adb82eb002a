package dev.sparktune.dl4j.layers;

import java.util.Arrays;

/**
 * The layout of one micro-batch of packed rows: B rows of T tokens, each row a sequence of whole documents.
 * Attention is causal within a document and blocked across documents; positions restart at 0 per document.
 *
 * @param batch       B
 * @param seqLen      T
 * @param positionIds [B·T] RoPE position of each token (row-major)
 * @param docLens     per row, the lengths of its documents in order; they sum to at most T, and any tokens after
 *                    the last document (padding) form one more block of their own
 */
public record PackedBatch(int batch, int seqLen, int[] positionIds, int[][] docLens) {
    public PackedBatch {
        if (batch <= 0 || seqLen <= 0) {
            throw new IllegalArgumentException("batch and seqLen must be > 0, got " + batch + " and " + seqLen);
        }
        if (positionIds == null || positionIds.length != batch * seqLen) {
            throw new IllegalArgumentException("positionIds must hold B*T = " + batch * seqLen + " entries, got "
                    + (positionIds == null ? "null" : positionIds.length));
        }
        if (docLens == null || docLens.length != batch) {
            throw new IllegalArgumentException("docLens must have one entry per row (" + batch + ")");
        }
        int[][] copy = new int[batch][];
        for (int b = 0; b < batch; b++) {
            int sum = 0;
            for (int len : docLens[b]) {
                if (len <= 0) {
                    throw new IllegalArgumentException(
                            "row " + b + ": document lengths must be > 0, got " + Arrays.toString(docLens[b]));
                }
                sum += len;
            }
            if (sum > seqLen) {
                throw new IllegalArgumentException("row " + b + ": document lengths " + Arrays.toString(docLens[b])
                        + " sum to " + sum + " > T = " + seqLen);
            }
            copy[b] = sum == seqLen
                    ? docLens[b].clone()
                    : Arrays.copyOf(docLens[b], docLens[b].length + 1); // padding block
            if (sum < seqLen) {
                copy[b][copy[b].length - 1] = seqLen - sum;
            }
        }
        for (int p : positionIds) {
            if (p < 0) {
                throw new IllegalArgumentException("positionIds must be >= 0, got " + p);
            }
        }
        positionIds = positionIds.clone();
        docLens = copy;
    }

    /** One row holding one document of T tokens at positions 0..T-1, per row. */
    public static PackedBatch unpacked(int batch, int seqLen) {
        int[] pos = new int[batch * seqLen];
        int[][] lens = new int[batch][];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seqLen; t++) {
                pos[b * seqLen + t] = t;
            }
            lens[b] = new int[] {seqLen};
        }
        return new PackedBatch(batch, seqLen, pos, lens);
    }

    /** Positions that restart at 0 at each document start (the data contract's position_ids). */
    public static PackedBatch fromDocLens(int seqLen, int[][] docLens) {
        int batch = docLens.length;
        int[] pos = new int[batch * seqLen];
        for (int b = 0; b < batch; b++) {
            int t = 0;
            for (int len : docLens[b]) {
                for (int i = 0; i < len && t < seqLen; i++) {
                    pos[b * seqLen + t++] = i;
                }
            }
            for (int i = 0; t < seqLen; i++) {
                pos[b * seqLen + t++] = i;
            }
        }
        return new PackedBatch(batch, seqLen, pos, docLens);
    }

    @Override
    public int[] positionIds() {
        return positionIds.clone();
    }

    /** Document lengths of row {@code b}, padding block included. */
    public int[] blocks(int b) {
        return docLens[b].clone();
    }

    @Override
    public int[][] docLens() {
        int[][] out = new int[docLens.length][];
        for (int i = 0; i < out.length; i++) {
            out[i] = docLens[i].clone();
        }
        return out;
    }

    int position(int row) {
        return positionIds[row];
    }

    int[] positionsUnsafe() {
        return positionIds;
    }

    int[] blocksUnsafe(int b) {
        return docLens[b];
    }

    public int rows() {
        return batch * seqLen;
    }
}
