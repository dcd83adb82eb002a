package dev.sparktune.preprocess.api;

/**
 * What the prepared table trains: supervised fine-tuning on conversations, (continued) pre-training on text, or
 * preference optimisation on pairs.
 */
public enum Stage {
    /** Conversations through a chat template; loss on assistant turns (LLaMA-Factory {@code stage: sft}). */
    SFT,
    /** Raw {@code text} documents, no template, loss on every token, split at cutoff_len (LLaMA-Factory {@code pt}). */
    PT,
    /**
     * Preference pairs (LLaMA-Factory {@code stage: dpo}, {@code ranking: true} datasets): each record becomes a
     * chosen and a rejected document, the prompt and one response each, loss on the response only, kept together
     * in one row (rows of 2 × cutoff_len).
     */
    DPO
}
