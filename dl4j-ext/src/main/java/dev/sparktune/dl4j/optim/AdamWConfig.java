package dev.sparktune.dl4j.optim;

import java.io.Serializable;

/**
 * AdamW hyper-parameters (torch.optim.AdamW semantics: decoupled weight decay, bias correction).
 *
 * @param lr          peak learning rate (the schedule scales it)
 * @param beta1       first-moment decay
 * @param beta2       second-moment decay
 * @param eps         added to sqrt(v̂)
 * @param weightDecay decoupled decay, applied only to parameters the optimizer's decay predicate selects
 */
public record AdamWConfig(double lr, double beta1, double beta2, double eps, double weightDecay)
        implements Serializable {
    public AdamWConfig {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning_rate must be a finite number >= 0, got " + lr);
        }
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("adam_beta1 must be in [0, 1), got " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("adam_beta2 must be in [0, 1), got " + beta2);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("adam_epsilon must be > 0, got " + eps);
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weight_decay must be >= 0, got " + weightDecay);
        }
    }

    /** torch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public static AdamWConfig defaults(double lr) {
        return new AdamWConfig(lr, 0.9, 0.999, 1e-8, 0.01);
    }
}
