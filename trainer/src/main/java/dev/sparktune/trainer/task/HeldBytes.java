package dev.sparktune.trainer.task;

import java.io.Serializable;

/** Memory a rank holds for training state, by kind (activations not included). */
public record HeldBytes(long params, long grads, long optimizerState) implements Serializable {
    public long total() {
        return params + grads + optimizerState;
    }
}
