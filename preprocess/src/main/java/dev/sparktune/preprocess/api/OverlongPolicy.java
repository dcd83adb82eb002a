package dev.sparktune.preprocess.api;

/** What happens to an SFT document longer than cutoff_len tokens. */
public enum OverlongPolicy {
    /** LLaMA-Factory's proportional source/target truncation per turn; counted as truncated in the stats. */
    TRUNCATE,
    /** The document goes to the rejects table with reason {@code TOO_LONG}. */
    REJECT
}
