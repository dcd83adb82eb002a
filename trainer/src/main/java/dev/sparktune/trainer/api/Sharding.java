package dev.sparktune.trainer.api;

import java.util.Locale;

/** How training state is split over ranks (the {@code fsdp} key, FSDP's sharding-strategy names). */
public enum Sharding {
    /** DDP: every rank holds all parameters, gradients and optimizer state; gradients are all-reduced. */
    NO_SHARD,
    /**
     * ZeRO-2: gradients are reduce-scattered and each rank keeps the AdamW state and does the update of its shard
     * only; updated parameters are all-gathered.
     */
    SHARD_GRAD_OP,
    /**
     * ZeRO-3: additionally each rank stores only its shard of every decoder layer's parameters; a layer's parameters
     * are all-gathered into one shared slot before its forward and again before its backward, and its gradients are
     * reduce-scattered right after its backward. The embedding, final norm and lm_head stay replicated (FSDP's root
     * unit, gathered for the whole step anyway). Full fine-tuning only.
     */
    FULL_SHARD;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a key, naming the allowed values on failure. */
    public static Sharding parse(String key) {
        for (Sharding s : values()) {
            if (s.key().equals(key)) {
                return s;
            }
        }
        throw new IllegalArgumentException("fsdp = \"" + key + "\" is not supported; allowed: no_shard, shard_grad_op,"
                + " full_shard");
    }
}
