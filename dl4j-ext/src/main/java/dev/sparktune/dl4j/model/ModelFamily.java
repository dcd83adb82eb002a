package dev.sparktune.dl4j.model;

/**
 * The decoder families we implement; each differs only in biases, q/k norms, sliding-window support, fused
 * projections (Phi-3), RoPE variants, Gemma 3's sandwich norms, gelu MLP and per-layer attention kinds, and
 * Qwen3-MoE's routed experts in place of the MLP.
 */
public enum ModelFamily {
    LLAMA,
    QWEN2,
    QWEN3,
    MISTRAL,
    PHI3,
    GEMMA3,
    QWEN3_MOE
}
