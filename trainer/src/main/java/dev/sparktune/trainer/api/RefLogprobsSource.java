package dev.sparktune.trainer.api;

/** Where preference training takes the reference model's log-probs from (the {@code ref_logprobs} key). */
public enum RefLogprobsSource implements SettingValue {
    /**
     * The default: the Delta table the reference pass (the ref-logprobs verb) wrote beforehand, checked to be of the
     * run's table version and reference model; any reference (ref_model, ref_model_adapters).
     */
    TABLE,
    /**
     * LoRA only: the training model itself with its adapters off, i.e. the base model, one forward per micro-batch
     * in the step (LLaMA-Factory's reference under LoRA, PEFT's disable_adapter()): no reference pass, no table, no
     * second model.
     */
    ADAPTERS_OFF;
}
