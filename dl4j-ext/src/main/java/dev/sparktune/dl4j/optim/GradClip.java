package dev.sparktune.dl4j.optim;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Gradient clipping by global L2 norm over the flat gradient buffer (torch.nn.utils.clip_grad_norm_). */
public final class GradClip {
    private GradClip() {}

    /** The global L2 norm of {@code grads}. */
    public static double norm(INDArray grads) {
        return grads.norm2Number().doubleValue();
    }

    /**
     * Scales {@code grads} in place by min(1, maxNorm / (norm + 1e-6)) and returns the norm before clipping.
     * A sharded trainer computes the norm across ranks first and calls {@link #scale}.
     */
    public static double clip(INDArray grads, double maxNorm) {
        checkMaxNorm(maxNorm);
        double norm = norm(grads);
        scale(grads, norm, maxNorm);
        return norm;
    }

    /** The scaling step of {@link #clip} given an already known global norm. */
    public static void scale(INDArray grads, double globalNorm, double maxNorm) {
        checkMaxNorm(maxNorm);
        double coef = Math.min(1.0, maxNorm / (globalNorm + 1e-6));
        if (coef < 1.0) {
            grads.muli(coef);
        }
    }

    private static void checkMaxNorm(double maxNorm) {
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("max_grad_norm must be a finite number > 0, got " + maxNorm);
        }
    }
}
