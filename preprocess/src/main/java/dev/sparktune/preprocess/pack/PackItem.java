package dev.sparktune.preprocess.pack;

import dev.sparktune.preprocess.table.PackedTable;
import java.io.Serializable;

/**
 * A unit the packer places whole: one document (or, for pre-training text, one cutoff_len chunk of it), or a
 * preference pair's chosen and rejected documents, which train together and so share a row.
 *
 * @param docId        the document's id (a pair's: its chosen document's; the rejected one's is
 *                     {@link PackedTable#rejectedDocId})
 * @param chosenLength for a pair, the chosen document's tokens at the start; else the whole length
 */
public record PackItem(long docId, int[] inputIds, int[] labels, boolean pair, int chosenLength)
        implements Serializable {
    public PackItem {
        if (inputIds.length != labels.length || inputIds.length == 0) {
            throw new IllegalArgumentException("a pack item needs equal, non-zero input_ids/labels lengths, got "
                    + inputIds.length + "/" + labels.length);
        }
    }

    /** One document. */
    public PackItem(long docId, int[] inputIds, int[] labels) {
        this(docId, inputIds, labels, false, inputIds.length);
    }

    public int length() {
        return inputIds.length;
    }
}
