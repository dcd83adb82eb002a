package dev.sparktune.trainer.api;

/** What is trained (LLaMA-Factory's {@code finetuning_type}). */
public enum FinetuningType implements SettingValue {
    /** Every parameter. */
    FULL,
    /** The decoder layers and modules freeze_trainable_layers / _modules / freeze_extra_modules select. */
    FREEZE,
    /** Low-rank adapters on the targeted projections; the base model is frozen. */
    LORA;
}
