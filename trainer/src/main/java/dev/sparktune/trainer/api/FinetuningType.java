package dev.sparktune.trainer.api;

/**
 * What is trained (LLaMA-Factory's {@code finetuning_type}). Declared in the order a config error lists the values:
 * lora, LLaMA-Factory's default, first.
 */
public enum FinetuningType implements SettingValue {
    /** Low-rank adapters on the targeted projections; the base model is frozen. */
    LORA,
    /** The decoder layers and modules freeze_trainable_layers / _modules / freeze_extra_modules select. */
    FREEZE,
    /** Every parameter. */
    FULL;
}
