package dev.sparktune.preprocess.api;

/** What the prepared table trains: supervised fine-tuning on conversations, or (continued) pre-training on text. */
public enum Stage {
    /** Conversations through a chat template; loss on assistant turns (LLaMA-Factory {@code stage: sft}). */
    SFT,
    /** Raw {@code text} documents, no template, loss on every token, split at cutoff_len (LLaMA-Factory {@code pt}). */
    PT
}
