package dev.sparktune.dl4j.model;

/** The decoder families we implement; each differs only in biases, q/k norms and sliding-window support. */
public enum ModelFamily {
    LLAMA,
    QWEN2,
    QWEN3,
    MISTRAL
}
