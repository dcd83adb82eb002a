package dev.sparktune.trainer.api;

import java.util.List;

/**
 * How training state is split over ranks (the {@code fsdp} key, FSDP's sharding-strategy names). {@link #AUTO} is a
 * request, not a mode: the launch resolves it ({@link MemoryCheck#require}) and the ranks only ever see the other
 * three.
 */
public enum Sharding implements SettingValue {
    /**
     * The default: no_shard on one rank; on several, shard_grad_op when its plan fits the memory budget with
     * {@link MemoryCheck#AUTO_HEADROOM} to spare, else full_shard (shard_grad_op for freeze). shard_grad_op moves
     * the same bytes per step as no_shard (a reduce-scatter and an all-gather are one all-reduce) with a W-th of the
     * AdamW state and update; full_shard holds the least but gathers every layer's weights again in each forward
     * and backward.
     */
    AUTO,
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
     * unit, gathered for the whole step anyway). With lora the frozen base is sharded this way and the adapters are
     * trained as in shard_grad_op; not for freeze.
     */
    FULL_SHARD;

    /** The modes a rank runs: every value but {@link #AUTO}. */
    public static List<Sharding> modes() {
        return List.of(NO_SHARD, SHARD_GRAD_OP, FULL_SHARD);
    }
}
