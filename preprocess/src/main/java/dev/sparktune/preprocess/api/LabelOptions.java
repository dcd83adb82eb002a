package dev.sparktune.preprocess.api;

import java.io.Serializable;
import java.util.Objects;

/**
 * How a tokenized conversation becomes a document with labels (LLaMA-Factory's keys of the same names).
 *
 * @param cutoffLen     cutoff_len: maximum tokens per document (for dpo, per chosen or rejected document)
 * @param trainOnPrompt train_on_prompt: labels on prompt tokens too
 * @param maskHistory   mask_history: labels on the last assistant turn only
 * @param overlong      what happens to documents over cutoffLen
 */
public record LabelOptions(int cutoffLen, boolean trainOnPrompt, boolean maskHistory, OverlongPolicy overlong)
        implements Serializable {
    public LabelOptions {
        Objects.requireNonNull(overlong, "overlong");
    }
}
