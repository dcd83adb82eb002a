package dev.sparktune.trainer.task;

import java.io.Serializable;
import java.util.List;

/**
 * What one rank returns to the driver: the GPU Spark assigned its task (train.device = gpu; null otherwise), the
 * bytes it held and moved, its phase timings, the step it started at
 * (0, or the resumed checkpoint's), (rank 0 only) the metrics of every step it ran, and why training stopped early
 * (a non-finite loss or gradient norm; null when it ran to the end).
 */
public record RankReport(
        int rank,
        String gpuAddress,
        HeldBytes held,
        long bytesMoved,
        double loadSeconds,
        double trainSeconds,
        int firstStep,
        List<StepMetrics> steps,
        NonFiniteLossException stopped)
        implements Serializable {}
