package dev.sparktune.trainer.eval;

import java.io.Serializable;

/**
 * One generated answer: the document's prompt (everything before its last supervised span, decoded with special
 * tokens), the model's answer and the reference (that span), both decoded without special tokens and stripped.
 *
 * @param exactMatch      predict equals label
 * @param contains        label is not empty and predict contains it
 * @param stopped         generation ended on a stop token (else it hit max_new_tokens)
 */
public record DocPrediction(
        long docId,
        String prompt,
        String predict,
        String label,
        boolean exactMatch,
        boolean contains,
        int generatedTokens,
        boolean stopped)
        implements Serializable {}
