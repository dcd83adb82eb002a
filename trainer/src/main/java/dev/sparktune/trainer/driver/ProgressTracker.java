package dev.sparktune.trainer.driver;

import java.util.Locale;
import java.util.Optional;

/**
 * Turns observations of rank 0's progress (when, steps done, last logged loss) into lines such as
 * {@code train: step 12/30 (40%), loss 1.234, 3.1 s/step, ETA 0:00:56}, at most one per interval and only when the
 * step moved. The pace counts from the first observation, so model loading does not inflate it; a step count going
 * back (a retried stage resuming from a checkpoint) starts the count again.
 */
final class ProgressTracker {
    private final int totalSteps;
    private final long intervalNanos;
    private long baseNanos;
    private long baseSteps = -1;
    private long lastSteps = -1;
    private long printedNanos;
    private long printedSteps = -1;

    ProgressTracker(int totalSteps, long intervalNanos) {
        if (totalSteps < 1) {
            throw new IllegalArgumentException("totalSteps must be >= 1, got " + totalSteps);
        }
        this.totalSteps = totalSteps;
        this.intervalNanos = intervalNanos;
    }

    /**
     * @param nanos a monotonic time ({@link System#nanoTime()})
     * @param steps steps done, > 0
     * @param loss  the last logged loss, NaN when none was logged yet
     * @return the line to show now, if any
     */
    Optional<String> observe(long nanos, long steps, double loss) {
        if (steps < lastSteps || lastSteps < 0) {
            baseNanos = nanos;
            baseSteps = steps;
            printedSteps = -1;
        }
        lastSteps = steps;
        if (steps == printedSteps || (printedSteps >= 0 && nanos - printedNanos < intervalNanos)) {
            return Optional.empty();
        }
        printedNanos = nanos;
        printedSteps = steps;
        double secondsPerStep = steps > baseSteps ? (nanos - baseNanos) / 1e9 / (steps - baseSteps) : Double.NaN;
        return Optional.of(line(steps, totalSteps, loss, secondsPerStep));
    }

    /** The line for rank 0's end of training ({@code steps} done), whatever the interval. */
    String finished(long nanos, long steps, double loss) {
        double secondsPerStep =
                lastSteps >= 0 && steps > baseSteps ? (nanos - baseNanos) / 1e9 / (steps - baseSteps) : Double.NaN;
        printedNanos = nanos;
        printedSteps = steps;
        return line(steps, totalSteps, loss, secondsPerStep);
    }

    /** One progress line; the loss and the pace (with the ETA) are left out when NaN. */
    static String line(long steps, int totalSteps, double loss, double secondsPerStep) {
        StringBuilder s = new StringBuilder(
                String.format(Locale.ROOT, "train: step %d/%d (%d%%)", steps, totalSteps, 100 * steps / totalSteps));
        if (!Double.isNaN(loss)) {
            s.append(String.format(Locale.ROOT, ", loss %.3f", loss));
        }
        if (!Double.isNaN(secondsPerStep)) {
            String pace = secondsPerStep >= 10 ? "%.0f" : secondsPerStep >= 1 ? "%.1f" : "%.2f";
            s.append(String.format(Locale.ROOT, ", " + pace + " s/step, ETA ", secondsPerStep))
                    .append(clock(secondsPerStep * (totalSteps - steps)));
        }
        return s.toString();
    }

    /** H:MM:SS, as Python prints a timedelta (hours keep counting past a day). */
    static String clock(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
}
