package dev.sparktune.dl4j.optim;

/**
 * Learning-rate multipliers as transformers' schedulers compute them (a {@code LambdaLR}: the optimizer step with
 * 0-based index {@code step} uses {@code lr · factor(step)}; with warmup the first step's factor is 0).
 *
 * @param type         constant, linear or cosine decay after warmup
 * @param warmupSteps  linear warmup from 0 over this many steps
 * @param totalSteps   training steps (linear and cosine reach 0 here)
 */
public record LrSchedule(Type type, int warmupSteps, int totalSteps) {

    public enum Type {
        CONSTANT,
        LINEAR,
        COSINE
    }

    public LrSchedule {
        if (type == null) {
            throw new IllegalArgumentException("schedule type is null");
        }
        if (warmupSteps < 0 || totalSteps <= 0) {
            throw new IllegalArgumentException(
                    "need warmupSteps >= 0 and totalSteps > 0, got " + warmupSteps + " and " + totalSteps);
        }
    }

    /** Warmup steps for a ratio of the total, rounded up as transformers' TrainingArguments does. */
    public static int warmupFromRatio(double ratio, int totalSteps) {
        if (!(ratio >= 0 && ratio <= 1)) {
            throw new IllegalArgumentException("warmup_ratio must be in [0, 1], got " + ratio);
        }
        return (int) Math.ceil(totalSteps * ratio);
    }

    /** The multiplier for 0-based optimizer step {@code step}. */
    public double factor(int step) {
        if (step < warmupSteps) {
            return (double) step / Math.max(1, warmupSteps);
        }
        return switch (type) {
            case CONSTANT -> 1.0;
            case LINEAR -> Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
            case COSINE -> {
                double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
                yield Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
            }
        };
    }
}
