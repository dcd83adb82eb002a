package dev.sparktune.preprocess.source;

/** LLaMA-Factory's {@code formatting} of a dataset's records. OpenAI {@code messages} are SHAREGPT with tags. */
public enum Formatting {
    /** instruction / input / output (+ system, history). */
    ALPACA,
    /** A list of turns with a role and a content key (ShareGPT {@code from/value}, OpenAI {@code role/content}). */
    SHAREGPT
}
