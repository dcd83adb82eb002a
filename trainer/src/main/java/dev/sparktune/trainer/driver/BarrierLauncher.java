package dev.sparktune.trainer.driver;

import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.preprocess.api.HadoopConfEntries;
import dev.sparktune.trainer.api.MemoryCheck;
import dev.sparktune.trainer.api.NotEnoughMemoryException;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.api.TrainResult;
import dev.sparktune.trainer.checkpoint.CheckpointException;
import dev.sparktune.trainer.checkpoint.CheckpointStore;
import dev.sparktune.trainer.checkpoint.RunIdentity;
import dev.sparktune.trainer.data.PinnedSnapshot;
import dev.sparktune.trainer.plan.HostMemory;
import dev.sparktune.trainer.plan.MemoryBudget;
import dev.sparktune.trainer.plan.StepPlan;
import dev.sparktune.trainer.reference.RefLogProbs;
import dev.sparktune.trainer.task.HeldBytes;
import dev.sparktune.trainer.task.ProgressAccumulators;
import dev.sparktune.trainer.task.RankReport;
import dev.sparktune.trainer.task.RankTask;
import dev.sparktune.trainer.task.TrainingContext;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;
import scala.reflect.ClassTag$;

/**
 * Runs the whole training as ONE barrier stage of world_size tasks. The stage is followed by a shuffle
 * ({@code repartition(1)}) so it is not the job's result stage: Spark retries a failed barrier stage only then
 * (docs/architecture.md, measured on 4.0.1).
 */
public final class BarrierLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(BarrierLauncher.class);
    static final long SLOT_WAIT_MILLIS = 60_000;
    static final long IO_TIMEOUT_SECONDS = 600;

    private BarrierLauncher() {}

    /**
     * @param identity what a checkpoint must match to be resumed
     * @param resume   the committed checkpoint to start from, or null
     * @param model    the base model's config (the memory plan)
     * @param stored   the dtype its weights are stored in (frozen ones stay in a bf16 / fp16 one)
     * @param reference the reference log-probs of preference training, or null
     * @throws CheckpointException      the checkpoint is further along than this run plans to go
     * @throws NotEnoughMemoryException a rank's memory plan exceeds what it may allocate
     */
    public static TrainResult launch(
            SparkSession spark,
            TrainConfig requested,
            PinnedSnapshot snapshot,
            RunIdentity identity,
            CheckpointStore.Committed resume,
            ModelConfig model,
            DataType stored,
            RefLogProbs reference) {
        int world = requested.parallelism().worldSize();
        SlotCheck.require(spark.sparkContext(), world, SLOT_WAIT_MILLIS);
        SparkContext sc = spark.sparkContext();
        Map<String, String> conf = new HashMap<>();
        for (Tuple2<String, String> kv : sc.getConf().getAll()) {
            conf.put(kv._1(), kv._2());
        }
        MemoryBudget budget = MemoryBudget.of(sc.master(), conf, HostMemory.current(), world);
        // refused here, before any job: the OOM killer would end the run later with no message
        MemoryCheck.Checked checked = MemoryCheck.require(requested, model, stored, snapshot.seqLen(), budget);
        checked.report().forEach(LOG::info);
        TrainConfig config = checked.config(); // fsdp auto resolved
        StepPlan plan = StepPlan.of(
                snapshot.rows(),
                config.effectiveGlobalBatchRows(),
                config.batch().perDeviceRows(),
                world,
                config.schedule().epochs(),
                config.schedule().maxSteps(),
                config.seed());
        if (resume != null && resume.manifest().step() > plan.totalSteps()) {
            throw new CheckpointException(
                    resume.dir(),
                    resume.dir() + " is " + resume.manifest().step() + " steps in"
                            + ", but this run plans " + plan.totalSteps()
                            + " steps (num_train_epochs or max_steps lowered?): "
                            + "raise them, resume an earlier checkpoint, or set train.overwrite_output_dir = true");
        }
        String resumeDir = resume == null ? null : resume.dir();
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        ProgressAccumulators progress = ProgressAccumulators.register(spark.sparkContext());
        TrainingContext ctx = new TrainingContext(
                config,
                plan,
                snapshot,
                HadoopConfEntries.fromSession(spark),
                snapshot.seqLen(),
                secret,
                IO_TIMEOUT_SECONDS,
                identity,
                resumeDir,
                progress,
                UUID.randomUUID().toString(),
                RankThreads.perRank(sc, world),
                reference);
        LOG.info(
                "training {}{} on {}: {} ranks of {} thread(s), {} steps of {} rows ({} per rank per micro-batch, {} "
                        + "accumulation), fsdp {}",
                config.finetuning().type().key(),
                snapshot.holdsPairs()
                        ? " on preference pairs (" + config.preference().describe()
                                + (reference != null
                                        ? ", reference log-probs " + reference.path() + "@" + reference.version()
                                        : config.preference().adaptersOff()
                                                ? ", reference: the model with its adapters off, per micro-batch"
                                                : "")
                                + ")"
                        : "",
                snapshot,
                world,
                ctx.threadsPerRank(),
                plan.totalSteps(),
                plan.globalBatchRows(),
                plan.microBatchRows(),
                plan.accumulationSteps(),
                config.parallelism().sharding().key());
        if (resumeDir != null) {
            LOG.info("resuming from {}", resumeDir);
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        long t0 = System.nanoTime();
        jsc.setJobDescription("SparkTune train: " + world + " ranks, " + plan.totalSteps() + " steps");
        RDD<Integer> ranks = jsc.parallelize(IntStream.range(0, world).boxed().toList(), world)
                .rdd();
        ProgressListener listener = new ProgressListener(progress, plan.totalSteps());
        spark.sparkContext().addSparkListener(listener);
        List<RankReport> reports;
        try {
            reports = ranks.barrier()
                    .mapPartitions(new RankTask(ctx), false, ClassTag$.MODULE$.apply(RankReport.class))
                    .toJavaRDD()
                    .repartition(1)
                    .collect();
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<RankReport> sorted = new ArrayList<>(reports);
        sorted.sort(Comparator.comparingInt(RankReport::rank));
        if (sorted.get(0).stopped() != null) {
            throw sorted.get(0).stopped(); // the last good checkpoint and rank 0's trainer log are in output_dir
        }
        List<HeldBytes> held = sorted.stream().map(RankReport::held).toList();
        List<String> gpus = sorted.stream()
                .map(RankReport::gpuAddress)
                .filter(Objects::nonNull)
                .toList();
        return new TrainResult(
                config.outputDir(),
                snapshot.version(),
                sorted.get(0).firstStep(),
                sorted.get(0).steps(),
                held,
                gpus,
                seconds);
    }
}
