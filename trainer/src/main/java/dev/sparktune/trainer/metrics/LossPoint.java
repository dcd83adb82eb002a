package dev.sparktune.trainer.metrics;

/**
 * One logged loss of the trainer log.
 *
 * @param step 1-based optimizer step ({@code current_steps})
 * @param loss the loss logged at that step
 */
public record LossPoint(int step, double loss) {
    public LossPoint {
        if (step < 1) {
            throw new IllegalArgumentException("step must be >= 1, got " + step);
        }
    }
}
