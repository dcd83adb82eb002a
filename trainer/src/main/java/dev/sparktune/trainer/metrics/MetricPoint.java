package dev.sparktune.trainer.metrics;

/**
 * One logged value of a metric in the trainer log.
 *
 * @param step  1-based optimizer step ({@code current_steps})
 * @param value the metric's value logged at that step
 */
public record MetricPoint(int step, double value) {
    public MetricPoint {
        if (step < 1) {
            throw new IllegalArgumentException("step must be >= 1, got " + step);
        }
    }
}
