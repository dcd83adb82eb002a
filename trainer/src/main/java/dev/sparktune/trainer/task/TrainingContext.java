package dev.sparktune.trainer.task;

import dev.sparktune.preprocess.api.HadoopConfEntries;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.checkpoint.RunIdentity;
import dev.sparktune.trainer.data.PinnedSnapshot;
import dev.sparktune.trainer.driver.RankThreads;
import dev.sparktune.trainer.plan.StepPlan;
import dev.sparktune.trainer.reference.RefLogProbs;
import java.io.Serializable;

/**
 * Everything a rank needs, built once by the driver and shipped in the barrier task's closure (Spark's RPC, which
 * spark.authenticate protects). The job secret is never printed: {@link #toString()} leaves it out.
 *
 * @param identity  what a checkpoint must match to be resumed by this run
 * @param resumeDir the checkpoint the driver chose to start from; null to start from scratch (ranks still take a
 *                  newer committed one of this launch, left by a failed attempt of the stage)
 * @param progress  what rank 0 reports its progress through while it trains
 * @param launchId  this driver launch (a random UUID), written into its checkpoints' manifests
 * @param threadsPerRank the cores each rank computes on ({@link RankThreads})
 * @param reference the reference log-probs of preference training on a table of pairs; null when the table holds
 *                  single documents or the loss needs no reference
 */
public record TrainingContext(
        TrainConfig config,
        StepPlan plan,
        PinnedSnapshot snapshot,
        HadoopConfEntries hadoop,
        int seqLen,
        byte[] secret,
        long ioTimeoutSeconds,
        RunIdentity identity,
        String resumeDir,
        ProgressAccumulators progress,
        String launchId,
        int threadsPerRank,
        RefLogProbs reference)
        implements Serializable {
    public TrainingContext {
        if (config.parallelism().sharding() == Sharding.AUTO) {
            throw new IllegalArgumentException("fsdp = auto reaches the ranks resolved (MemoryCheck.require)");
        }
    }

    @Override
    public String toString() {
        return "TrainingContext[" + snapshot + ", " + plan + ", secret=<redacted>]";
    }
}
