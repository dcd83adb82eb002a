package dev.sparktune.trainer.task;

import java.io.Serializable;

/**
 * Memory a rank holds during a step (or, in a {@link MemoryPlan}, will hold), by kind, in bytes.
 *
 * @param params         parameters in any dtype: trained ones, frozen ones, full_shard's gathered layer
 * @param narrowParams   of {@code params}, the frozen ones kept in the checkpoint's bf16 / fp16
 * @param grads          gradients (fp32)
 * @param optimizerState AdamW moments (fp32) of this rank's share
 * @param activations    the model's activation and working buffers for one micro-batch
 */
public record HeldBytes(long params, long narrowParams, long grads, long optimizerState, long activations)
        implements Serializable {
    public HeldBytes {
        if (params < 0
                || narrowParams < 0
                || narrowParams > params
                || grads < 0
                || optimizerState < 0
                || activations < 0) {
            throw new IllegalArgumentException("held bytes must be >= 0 with narrowParams <= params");
        }
    }

    /** Every parameter in fp32. */
    public HeldBytes(long params, long grads, long optimizerState, long activations) {
        this(params, 0, grads, optimizerState, activations);
    }

    public long total() {
        return params + grads + optimizerState + activations;
    }
}
