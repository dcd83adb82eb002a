package dev.sparktune.trainer.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Where preference training takes the reference model's log-probs from (the {@code ref_logprobs} key). */
public enum RefLogprobsSource {
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

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a key, naming the allowed values on failure. */
    public static RefLogprobsSource parse(String key) {
        for (RefLogprobsSource s : values()) {
            if (s.key().equals(key)) {
                return s;
            }
        }
        throw new IllegalArgumentException("ref_logprobs = \"" + key + "\" is not supported; allowed: "
                + Arrays.stream(values()).map(RefLogprobsSource::key).collect(Collectors.joining(", ")));
    }
}
