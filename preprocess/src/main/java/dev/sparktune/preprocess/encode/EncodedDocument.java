package dev.sparktune.preprocess.encode;

import java.io.Serializable;
import java.util.Objects;

/**
 * One accepted input record, tokenized and labelled, at most cutoff_len tokens for SFT (pre-training text may be
 * longer: the packer splits it).
 *
 * @param docId        stable id derived from (dataset, file, locator): lineage back to the input record
 * @param dataset      the dataset it came from
 * @param contentHash  hash of the token ids salted with the seed: decides the train/eval split, so identical
 *                     documents always land on the same side
 * @param inputIds     token ids
 * @param labels       token ids where the model learns, -100 elsewhere
 * @param truncated    whether cutoff_len truncation removed tokens
 * @param pair         a preference pair: input_ids and labels hold the chosen document then the rejected one,
 *                     {@code chosenLength} tokens of the first (the packer keeps them together)
 * @param chosenLength the chosen document's length, for a pair; else the whole length
 */
public record EncodedDocument(
        long docId,
        String dataset,
        long contentHash,
        int[] inputIds,
        int[] labels,
        boolean truncated,
        boolean pair,
        int chosenLength)
        implements Serializable {
    public EncodedDocument {
        Objects.requireNonNull(dataset, "dataset");
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException(
                    "input_ids and labels differ in length: " + inputIds.length + " vs " + labels.length);
        }
        if (pair ? chosenLength <= 0 || chosenLength >= inputIds.length : chosenLength != inputIds.length) {
            throw new IllegalArgumentException("chosenLength " + chosenLength + " does not split " + inputIds.length
                    + " tokens" + (pair ? " into a chosen and a rejected document" : ""));
        }
    }

    /** One document (not a pair). */
    public EncodedDocument(
            long docId, String dataset, long contentHash, int[] inputIds, int[] labels, boolean truncated) {
        this(docId, dataset, contentHash, inputIds, labels, truncated, false, inputIds.length);
    }

    public int supervisedTokens() {
        int n = 0;
        for (int label : labels) {
            if (label != SupervisedLabels.IGNORE_INDEX) {
                n++;
            }
        }
        return n;
    }
}
