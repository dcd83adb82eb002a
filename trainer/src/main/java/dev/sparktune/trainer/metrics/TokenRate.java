package dev.sparktune.trainer.metrics;

import dev.sparktune.trainer.task.StepMetrics;

/**
 * Tokens and useful FLOPs per second over the steps since the last logging step: the {@code tokens_per_second} and
 * the MFU that the trainer log and the TensorBoard events report for a logging step.
 */
final class TokenRate {
    private long tokens;
    private double usefulFlops;
    private double seconds;

    /** Rates of one window (0 when no time was counted). */
    record Window(double tokensPerSecond, double usefulFlopsPerSecond) {}

    void add(StepMetrics m) {
        tokens += m.tokens();
        usefulFlops += m.usefulFlops();
        seconds += m.seconds();
    }

    /** The rates since the last call, then starts a new window. */
    Window take() {
        Window w = seconds > 0 ? new Window(tokens / seconds, usefulFlops / seconds) : new Window(0, 0);
        tokens = 0;
        usefulFlops = 0;
        seconds = 0;
        return w;
    }
}
