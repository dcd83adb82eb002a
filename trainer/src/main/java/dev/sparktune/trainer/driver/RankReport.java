package dev.sparktune.trainer.driver;

import dev.sparktune.trainer.task.HeldBytes;
import dev.sparktune.trainer.task.StepMetrics;
import java.io.Serializable;
import java.util.List;

/**
 * What one rank returns to the driver: the bytes it held and moved, its phase timings, and (rank 0 only) every
 * step's metrics.
 */
public record RankReport(int rank, HeldBytes held, long bytesMoved, double loadSeconds, double trainSeconds,
                         List<StepMetrics> steps) implements Serializable {
}
