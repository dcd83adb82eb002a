package dev.sparktune.trainer.api;

import java.util.Locale;

/** What is trained (LLaMA-Factory's {@code finetuning_type}). */
public enum FinetuningType {
    /** Every parameter. */
    FULL,
    /** The decoder layers and modules freeze_trainable_layers / _modules / freeze_extra_modules select. */
    FREEZE,
    /** Low-rank adapters on the targeted projections; the base model is frozen. */
    LORA;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static FinetuningType parse(String key) {
        for (FinetuningType t : values()) {
            if (t.key().equals(key)) {
                return t;
            }
        }
        throw new IllegalArgumentException(
                "finetuning_type = \"" + key + "\" is not supported; allowed: full, " + "freeze, lora");
    }
}
