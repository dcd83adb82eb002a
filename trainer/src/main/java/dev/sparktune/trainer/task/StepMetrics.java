package dev.sparktune.trainer.task;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one optimizer step did, identical on every rank (all values are reduced over ranks).
 *
 * @param step        0-based optimizer step
 * @param epoch       fractional epoch at the end of the step
 * @param loss        the objective's mean: cross-entropy per supervised token, or preference loss per pair
 * @param gradNorm    global gradient L2 norm before clipping
 * @param lr          learning rate used
 * @param tokens      tokens processed (all ranks)
 * @param supervised  supervised target tokens (all ranks)
 * @param usefulFlops the FLOPs the step's rows needed (all ranks; {@code TrainingFlops.perRow})
 * @param seconds     wall time of the step on this rank
 * @param objective   the objective's own metrics by name, means over the step (preference training's
 *                    rewards/chosen, logps/chosen, ...; none for SFT), in the order they are logged
 */
public record StepMetrics(
        int step,
        double epoch,
        double loss,
        double gradNorm,
        double lr,
        long tokens,
        long supervised,
        double usefulFlops,
        double seconds,
        Map<String, Double> objective)
        implements Serializable {
    public StepMetrics {
        objective = Collections.unmodifiableMap(new LinkedHashMap<>(objective));
    }
}
