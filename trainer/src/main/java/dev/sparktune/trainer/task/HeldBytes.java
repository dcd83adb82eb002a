package dev.sparktune.trainer.task;

import java.io.Serializable;

/**
 * Memory a rank holds during a step, by kind.
 *
 * @param activations the model's activation and working buffers for one micro-batch (less with gradient_checkpointing)
 */
public record HeldBytes(long params, long grads, long optimizerState, long activations) implements Serializable {
    public long total() {
        return params + grads + optimizerState + activations;
    }
}
