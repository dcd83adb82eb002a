package dev.sparktune.trainer.driver;

import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.data.HadoopConfEntries;
import dev.sparktune.trainer.data.PinnedSnapshot;
import dev.sparktune.trainer.plan.StepPlan;
import java.io.Serializable;

/**
 * Everything a rank needs, built once by the driver and shipped in the barrier task's closure (Spark's RPC, which
 * spark.authenticate protects). The job secret is never printed: {@link #toString()} leaves it out.
 */
public record TrainingContext(TrainConfig config, StepPlan plan, PinnedSnapshot snapshot, HadoopConfEntries hadoop,
                              int seqLen, byte[] secret, long ioTimeoutSeconds) implements Serializable {
    @Override
    public String toString() {
        return "TrainingContext[" + snapshot + ", " + plan + ", secret=<redacted>]";
    }
}
