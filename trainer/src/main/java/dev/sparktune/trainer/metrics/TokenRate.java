package dev.sparktune.trainer.metrics;

import dev.sparktune.trainer.task.StepMetrics;

/**
 * Tokens per second over the steps since the last logging step: the {@code tokens_per_second} that the trainer log
 * and the TensorBoard events report for a logging step.
 */
final class TokenRate {
    private long tokens;
    private double seconds;

    void add(StepMetrics m) {
        tokens += m.tokens();
        seconds += m.seconds();
    }

    /** The rate since the last call (0 when no time was counted), then starts a new window. */
    double takePerSecond() {
        double rate = seconds > 0 ? tokens / seconds : 0;
        tokens = 0;
        seconds = 0;
        return rate;
    }
}
