package dev.sparktune.preprocess.encode;

import dev.sparktune.preprocess.api.OverlongPolicy;

import java.io.Serializable;
import java.util.Objects;

/** How labels are derived from a tokenized conversation (LLaMA-Factory's keys of the same names). */
public record LabelOptions(int cutoffLen, boolean trainOnPrompt, boolean maskHistory, OverlongPolicy overlong)
        implements Serializable {
    public LabelOptions {
        Objects.requireNonNull(overlong, "overlong");
        if (cutoffLen < 1) {
            throw new IllegalArgumentException("cutoffLen must be >= 1, got " + cutoffLen);
        }
    }
}
