package dev.sparktune.trainer.task;

import java.io.Serializable;
import org.apache.spark.SparkContext;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * The accumulators that carry rank 0's progress to the driver while the barrier stage runs: executors send a running
 * task's accumulator values with every heartbeat, where {@code ProgressListener} reads them. Registered on the driver
 * and shipped in the task closure; named, so the Spark UI's stage page shows them too.
 *
 * @param stepsDone optimizer steps done, counted from step 0 (a resumed run starts past 0)
 * @param loss      the loss of the last logging step
 */
public record ProgressAccumulators(LongAccumulator stepsDone, DoubleAccumulator loss) implements Serializable {
    public static ProgressAccumulators register(SparkContext sc) {
        return new ProgressAccumulators(
                sc.longAccumulator("sparktune.train.steps_done"), sc.doubleAccumulator("sparktune.train.loss"));
    }

    /**
     * Rank 0, after each step. Accumulators only add, so each moves by the difference to its new value: a reset
     * followed by an add would let a heartbeat in between report zero.
     */
    void record(StepMetrics m, boolean logged) {
        stepsDone.add(m.step() + 1L - stepsDone.sum());
        if (logged) {
            loss.add(m.loss() - loss.sum());
        }
    }
}
