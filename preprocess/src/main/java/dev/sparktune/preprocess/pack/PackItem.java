package dev.sparktune.preprocess.pack;

import java.io.Serializable;

/** A unit the packer places whole: one document (or, for pre-training text, one cutoff_len chunk of it). */
public record PackItem(long docId, int[] inputIds, int[] labels) implements Serializable {
    public PackItem {
        if (inputIds.length != labels.length || inputIds.length == 0) {
            throw new IllegalArgumentException("a pack item needs equal, non-zero input_ids/labels lengths, got "
                    + inputIds.length + "/" + labels.length);
        }
    }

    public int length() {
        return inputIds.length;
    }
}
