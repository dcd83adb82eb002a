package dev.sparktune.preprocess.pack;

import dev.sparktune.preprocess.table.PackedTable;
import java.io.Serializable;
import java.util.List;

/**
 * One training sequence of the packed-table contract (docs/architecture.md): whole documents back to back,
 * {@code positionIds} restarting at 0 for each, {@code docLens} giving the block-diagonal attention layout and
 * {@code docRoles} each document's part in a preference pair ({@link PackedTable#ROLE_DOCUMENT} outside pairs).
 */
public record PackedRow(
        int[] inputIds,
        int[] labels,
        int[] positionIds,
        int[] docLens,
        long[] docIds,
        int[] docRoles,
        int numSupervised)
        implements Serializable {

    /** Lays the items out in the given order; a pair's two documents side by side, the chosen one first. */
    public static PackedRow of(List<PackItem> items) {
        int total = 0;
        int docs = 0;
        for (PackItem item : items) {
            total += item.length();
            docs += item.pair() ? 2 : 1;
        }
        int[] inputIds = new int[total];
        int[] labels = new int[total];
        int[] positions = new int[total];
        int[] docLens = new int[docs];
        long[] docIds = new long[docs];
        int[] roles = new int[docs];
        int at = 0;
        int d = 0;
        int supervised = 0;
        for (PackItem item : items) {
            System.arraycopy(item.inputIds(), 0, inputIds, at, item.length());
            System.arraycopy(item.labels(), 0, labels, at, item.length());
            for (int i = 0; i < item.length(); i++) {
                positions[at + i] = item.pair() && i >= item.chosenLength() ? i - item.chosenLength() : i;
                if (item.labels()[i] != -100) {
                    supervised++;
                }
            }
            if (item.pair()) {
                docLens[d] = item.chosenLength();
                docIds[d] = item.docId();
                roles[d++] = PackedTable.ROLE_CHOSEN;
                docLens[d] = item.length() - item.chosenLength();
                docIds[d] = PackedTable.rejectedDocId(item.docId());
                roles[d++] = PackedTable.ROLE_REJECTED;
            } else {
                docLens[d] = item.length();
                docIds[d] = item.docId();
                roles[d++] = PackedTable.ROLE_DOCUMENT;
            }
            at += item.length();
        }
        return new PackedRow(inputIds, labels, positions, docLens, docIds, roles, supervised);
    }

    public int numTokens() {
        return inputIds.length;
    }
}
