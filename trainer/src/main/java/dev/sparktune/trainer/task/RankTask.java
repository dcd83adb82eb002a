package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.collective.RingOptions;
import dev.sparktune.dl4j.collective.TcpRingCollective;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelWeights;
import dev.sparktune.trainer.api.Device;
import dev.sparktune.trainer.api.GpuSchedulingException;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.checkpoint.CheckpointStore;
import dev.sparktune.trainer.data.SnapshotRowSource;
import dev.sparktune.trainer.driver.RankThreads;
import dev.sparktune.trainer.model.AdapterDirectory;
import dev.sparktune.trainer.model.HadoopModelDir;
import dev.sparktune.trainer.plan.HostMemory;
import dev.sparktune.trainer.reference.RefLogProbs;
import dev.sparktune.trainer.rendezvous.RingRendezvous;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * The body of one barrier task = one rank, in phases: load the model, join the ring, restore the newest committed
 * checkpoint (if any), train the remaining steps with a checkpoint every save_steps ({@link RankCheckpoints}), and
 * finish: save the model and, on rank 0, publish it with the trainer log, TensorBoard events and the plots
 * ({@link Rank0Outputs}) to the output directory. Each phase is timed and logged with the rank.
 */
public final class RankTask extends AbstractFunction1<Iterator<Integer>, Iterator<RankReport>> implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RankTask.class);
    private final TrainingContext ctx;

    public RankTask(TrainingContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Iterator<RankReport> apply(Iterator<Integer> ignored) {
        BarrierTaskContext task = BarrierTaskContext.get();
        return CollectionConverters.asScala(List.of(run(task)).iterator());
    }

    /**
     * The layers, the generator and the TCP ring read and write ND4J buffers' host memory directly, and the NCCL
     * collective of the cuda build is compiled but not yet run or used here: a CUDA backend would compute garbage or
     * crash, so it is refused before anything loads.
     */
    private static void requireCpuBackend(int rank) {
        if (!Nd4j.getEnvironment().isCPU()) {
            throw new IllegalStateException("rank " + rank + ": the trainer runs on ND4J's CPU backend (nd4j-native) "
                    + "only, but this executor loaded "
                    + Nd4j.getBackend().getClass().getName() + "; submit the "
                    + "default build (without -Pcuda): the cuda build's NCCL collective is compiled, not yet wired in");
        }
    }

    private RankReport run(BarrierTaskContext task) {
        int rank = task.partitionId();
        long t0 = System.nanoTime();
        requireCpuBackend(rank);
        String gpu = gpuAddress(task, rank);
        try (RankThreads.Restore threads = RankThreads.apply(ctx.threadsPerRank())) {
            LOG.info("rank {}: computing on {} thread(s)", rank, ctx.threadsPerRank());
            return train(task, rank, gpu, t0);
        }
    }

    /**
     * train.device = gpu: the GPU Spark assigned this rank's task (the first, should a task hold more), which a CUDA
     * backend would select; null for cpu. The CPU backend, today's, records and logs it and computes on the cores.
     */
    private String gpuAddress(BarrierTaskContext task, int rank) {
        if (ctx.config().parallelism().device() != Device.GPU) {
            return null;
        }
        Map<String, ResourceInformation> resources = task.resourcesJMap();
        ResourceInformation gpu = resources.get("gpu"); // Spark's resource name (ResourceUtils.GPU is internal)
        if (gpu == null || gpu.addresses().length == 0) {
            throw GpuSchedulingException.noneAssigned(rank, resources.keySet());
        }
        String address = gpu.addresses()[0];
        LOG.info(
                "rank {}: GPU {} assigned by Spark (of {}); ND4J's backend is the CPU one, so the rank computes on CPU",
                rank,
                address,
                String.join(", ", gpu.addresses()));
        return address;
    }

    private RankReport train(BarrierTaskContext task, int rank, String gpu, long t0) {
        // copying and loading the model can take long on one host: do it before the ring exists, so the others
        // wait in the rendezvous (Spark's barrier, no deadline) rather than in a collective with an I/O timeout
        Loaded loaded = load();
        try (TcpRingCollective ring = join(task)) {
            SnapshotRowSource rows =
                    new SnapshotRowSource(ctx.snapshot(), ctx.hadoop().toConfiguration());
            CheckpointStore store =
                    new CheckpointStore(ctx.config().outputDir(), ctx.hadoop().toConfiguration());
            RankCheckpoints checkpoints = new RankCheckpoints(ctx, task, ring, store);
            try (RankTrainer trainer = new RankTrainer(
                    ctx.config(),
                    ctx.plan(),
                    loaded.base(),
                    ctx.seqLen(),
                    ring,
                    rows,
                    loaded.startAdapter(),
                    ctx.snapshot().holdsPairs(),
                    loaded.reference())) {
                CheckpointStore.Committed resume = checkpoints.restore(trainer);
                int first = resume == null ? 0 : resume.manifest().step();
                double loadSeconds = (System.nanoTime() - t0) / 1e9;
                LOG.info(
                        "rank {}/{}: joined and loaded in {} s; steps {}..{} of {} rows{}",
                        rank,
                        ring.worldSize(),
                        String.format("%.1f", loadSeconds),
                        first + 1,
                        ctx.plan().totalSteps(),
                        ctx.plan().globalBatchRows(),
                        resume == null ? "" : " (resumed from " + resume.dir() + ")");
                try (Rank0Outputs rank0 = rank == 0 ? Rank0Outputs.open(ctx, trainer, store, resume, first) : null) {
                    long t1 = System.nanoTime();
                    NonFiniteLossException stopped = trainSteps(trainer, checkpoints, first, rank0);
                    double trainSeconds = (System.nanoTime() - t1) / 1e9;
                    LOG.info(
                            "rank {}: peak resident set of this process while training {} GB",
                            rank,
                            String.format("%.2f", HostMemory.peakRss() / 1e9));
                    finish(task, trainer, loaded.modelDir(), stopped, rank0);
                    return new RankReport(
                            rank,
                            gpu,
                            trainer.heldBytes(),
                            ring.bytesMoved(),
                            loadSeconds,
                            trainSeconds,
                            first,
                            rank0 == null ? List.of() : rank0.steps(),
                            stopped);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("rank " + rank + ": " + e.getMessage(), e);
        }
    }

    /**
     * What a rank reads before the ring exists.
     *
     * @param modelDir     the base model's local directory (its tokenizer files go into a saved full model)
     * @param base         its weights; full_shard leaves them stored, each rank reading only its share
     * @param startAdapter the local copy of the adapter training continues, or null
     * @param reference    the reference log-probs of preference training, or null
     */
    private record Loaded(Path modelDir, ModelWeights base, Path startAdapter, RefLogProbs.Lookup reference) {}

    private Loaded load() {
        Path modelDir = HadoopModelDir.of(ctx.config().modelPath(), ctx.hadoop().toConfiguration())
                .local();
        HfModelDir.Stored stored = HfModelDir.open(modelDir);
        ModelWeights base = ctx.config().parallelism().sharding() == Sharding.FULL_SHARD
                ? stored
                : stored.load(
                        ctx.config().baseLayout(stored.config()), ctx.config().baseDataType(stored.storedDataType()));
        Path startAdapter = ctx.config().finetuning().adapterNameOrPath().isEmpty()
                ? null
                : AdapterDirectory.of(
                                ctx.config().finetuning().adapterNameOrPath(),
                                ctx.hadoop().toConfiguration())
                        .local();
        RefLogProbs.Lookup reference = ctx.reference() == null
                ? null
                : ctx.reference().read(ctx.hadoop().toConfiguration());
        return new Loaded(modelDir, base, startAdapter, reference);
    }

    private TcpRingCollective join(BarrierTaskContext task) {
        RingOptions options = RingOptions.defaults().withIoTimeout(Duration.ofSeconds(ctx.ioTimeoutSeconds()));
        return RingRendezvous.join(task, ctx.secret(), options);
    }

    /**
     * Runs the steps from {@code first} to the plan's end, rank 0 recording each into {@code rank0} (null on the
     * other ranks); returns why training stopped early, or null when it ran to the end.
     */
    private NonFiniteLossException trainSteps(
            RankTrainer trainer, RankCheckpoints checkpoints, int first, Rank0Outputs rank0) {
        int total = ctx.plan().totalSteps();
        try {
            for (int s = first; s < total; s++) {
                StepMetrics m = trainer.step(s);
                boolean logged =
                        s == total - 1 || (s + 1) % ctx.config().metrics().loggingSteps() == 0;
                if (rank0 != null) {
                    rank0.record(m, logged);
                    ctx.progress().record(m, logged);
                    if (logged) {
                        LOG.info(
                                "step {}/{}: loss {} lr {} grad_norm {}",
                                s + 1,
                                total,
                                String.format("%.4f", m.loss()),
                                String.format("%.3g", m.lr()),
                                String.format("%.3f", m.gradNorm()));
                    }
                }
                if (ctx.config().checkpointing().saveSteps() > 0
                        && (s + 1) % ctx.config().checkpointing().saveSteps() == 0) {
                    checkpoints.save(trainer, s + 1, rank0 == null ? null : rank0.logFile());
                }
            }
            return null;
        } catch (NonFiniteLossException e) {
            // every rank sees the same loss and norm, so all stop here together; returning (rather than
            // failing the task) keeps Spark from retrying a run that would diverge again
            return e;
        }
    }

    /** Saves the model unless training {@code stopped} (every rank gathers), then rank 0 publishes the outputs. */
    private void finish(
            BarrierTaskContext task,
            RankTrainer trainer,
            Path modelDir,
            NonFiniteLossException stopped,
            Rank0Outputs rank0)
            throws IOException {
        if (stopped == null) {
            trainer.save(
                    rank0 == null ? null : rank0.modelDir(),
                    modelDir,
                    ctx.config().modelPath());
        }
        if (rank0 != null) {
            rank0.publish(
                    stopped != null, ctx.config().outputDir(), ctx.hadoop().toConfiguration());
        }
        task.barrier(); // the job succeeds only once rank 0 has published (file I/O: no ring deadline)
    }

    @Override
    public String toString() {
        return "RankTask[" + ctx + "]";
    }
}
