package dev.sparktune.trainer.api;

import dev.sparktune.trainer.task.HeldBytes;
import dev.sparktune.trainer.task.StepMetrics;
import java.util.List;

/**
 * A finished training run.
 *
 * @param outputDir     where the model or adapter and trainer_log.jsonl were written
 * @param tableVersion  the pinned Delta version trained on
 * @param steps         every step's metrics (from rank 0; identical on all ranks)
 * @param heldPerRank   bytes of parameters / gradients / optimizer state each rank held
 * @param seconds       wall time of the barrier stage
 */
public record TrainResult(String outputDir, long tableVersion, List<StepMetrics> steps, List<HeldBytes> heldPerRank,
                          double seconds) {
    public double finalLoss() {
        return steps.get(steps.size() - 1).loss();
    }
}
