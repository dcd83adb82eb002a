package dev.sparktune.preprocess.pack;

import java.io.Serializable;
import java.util.List;

/**
 * One training sequence of the packed-table contract (docs/architecture.md): whole documents back to back,
 * {@code positionIds} restarting at 0 for each and {@code docLens} giving the block-diagonal attention layout.
 */
public record PackedRow(int[] inputIds, int[] labels, int[] positionIds, int[] docLens, long[] docIds,
                        int numSupervised) implements Serializable {

    /** Lays the items out in the given order. */
    public static PackedRow of(List<PackItem> items) {
        int total = 0;
        for (PackItem item : items) {
            total += item.length();
        }
        int[] inputIds = new int[total];
        int[] labels = new int[total];
        int[] positions = new int[total];
        int[] docLens = new int[items.size()];
        long[] docIds = new long[items.size()];
        int at = 0;
        int supervised = 0;
        for (int d = 0; d < items.size(); d++) {
            PackItem item = items.get(d);
            System.arraycopy(item.inputIds(), 0, inputIds, at, item.length());
            System.arraycopy(item.labels(), 0, labels, at, item.length());
            for (int i = 0; i < item.length(); i++) {
                positions[at + i] = i;
                if (item.labels()[i] != -100) {
                    supervised++;
                }
            }
            docLens[d] = item.length();
            docIds[d] = item.docId();
            at += item.length();
        }
        return new PackedRow(inputIds, labels, positions, docLens, docIds, supervised);
    }

    public int numTokens() {
        return inputIds.length;
    }
}
