package dev.sparktune.trainer.task;

import java.io.Serializable;

/**
 * What one optimizer step did, identical on every rank (all values are reduced over ranks).
 *
 * @param step        0-based optimizer step
 * @param epoch       fractional epoch at the end of the step
 * @param loss        token-mean cross-entropy over the step's supervised tokens
 * @param gradNorm    global gradient L2 norm before clipping
 * @param lr          learning rate used
 * @param tokens      tokens processed (all ranks)
 * @param supervised  supervised target tokens (all ranks)
 * @param usefulFlops the FLOPs the step's rows needed (all ranks; {@code TrainingFlops.perRow})
 * @param seconds     wall time of the step on this rank
 */
public record StepMetrics(int step, double epoch, double loss, double gradNorm, double lr, long tokens,
                          long supervised, double usefulFlops, double seconds) implements Serializable {
}
