package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.collective.RingOptions;
import dev.sparktune.dl4j.collective.TcpRingCollective;
import dev.sparktune.dl4j.flops.GemmPeak;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelWeights;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.checkpoint.CheckpointException;
import dev.sparktune.trainer.checkpoint.CheckpointManifest;
import dev.sparktune.trainer.checkpoint.CheckpointStore;
import dev.sparktune.trainer.checkpoint.StatePiece;
import dev.sparktune.trainer.checkpoint.StateReader;
import dev.sparktune.trainer.data.SnapshotRowSource;
import dev.sparktune.trainer.driver.RankThreads;
import dev.sparktune.trainer.metrics.LossPlot;
import dev.sparktune.trainer.metrics.Mfu;
import dev.sparktune.trainer.metrics.TensorBoardEvents;
import dev.sparktune.trainer.metrics.TrainerLog;
import dev.sparktune.trainer.model.AdapterDirectory;
import dev.sparktune.trainer.model.ModelDirectory;
import dev.sparktune.trainer.plan.HostMemory;
import dev.sparktune.trainer.reference.RefLogProbs;
import dev.sparktune.trainer.rendezvous.RingRendezvous;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * The body of one barrier task = one rank: join the ring, load the model (and the newest committed checkpoint, if
 * any), train the remaining steps with a checkpoint every save_steps, and on rank 0 write the result, the trainer
 * log, TensorBoard events and the loss plot to the output directory. Each phase is timed and logged with the rank.
 */
public final class RankTask
        extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<RankReport>>
        implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RankTask.class);
    private final TrainingContext ctx;

    public RankTask(TrainingContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public scala.collection.Iterator<RankReport> apply(scala.collection.Iterator<Integer> ignored) {
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
                    + "only, but this executor loaded " + Nd4j.getBackend().getClass().getName() + "; submit the "
                    + "default build (without -Pcuda): the cuda build's NCCL collective is compiled, not yet wired in");
        }
    }

    private RankReport run(BarrierTaskContext task) {
        int rank = task.partitionId();
        long t0 = System.nanoTime();
        requireCpuBackend(rank);
        try (RankThreads.Restore threads = RankThreads.apply(ctx.threadsPerRank())) {
            LOG.info("rank {}: computing on {} thread(s)", rank, ctx.threadsPerRank());
            return train(task, rank, t0);
        }
    }

    private RankReport train(BarrierTaskContext task, int rank, long t0) {
        RingOptions options = RingOptions.defaults().withIoTimeout(Duration.ofSeconds(ctx.ioTimeoutSeconds()));
        Path work = null;
        // copying and loading the model can take long on one host: do it before the ring exists, so the others
        // wait in the rendezvous (Spark's barrier, no deadline) rather than in a collective with an I/O timeout
        Path modelDir = ModelDirectory.of(ctx.config().modelPath(), ctx.hadoop().toConfiguration()).local();
        HfModelDir.Stored stored = HfModelDir.open(modelDir);
        ModelWeights base = ctx.config().sharding() == Sharding.FULL_SHARD ? stored
                : stored.load(ctx.config().baseLayout(stored.config()),
                        ctx.config().baseDataType(stored.storedDataType()));
        Path startAdapter = ctx.config().adapterNameOrPath().isEmpty() ? null
                : AdapterDirectory.of(ctx.config().adapterNameOrPath(), ctx.hadoop().toConfiguration()).local();
        RefLogProbs.Lookup reference = ctx.reference() == null ? null
                : ctx.reference().read(ctx.hadoop().toConfiguration());
        try (TcpRingCollective ring = RingRendezvous.join(task, ctx.secret(), options)) {
            SnapshotRowSource rows = new SnapshotRowSource(ctx.snapshot(), ctx.hadoop().toConfiguration());
            CheckpointStore store = new CheckpointStore(ctx.config().outputDir(), ctx.hadoop().toConfiguration());
            try (RankTrainer trainer = new RankTrainer(ctx.config(), ctx.plan(), base, ctx.seqLen(), ring, rows,
                    startAdapter, ctx.snapshot().holdsPairs(), reference)) {
                CheckpointStore.Committed resume = resumePoint(store, task, ring, rank);
                int first = resume == null ? 0 : resume.manifest().step();
                if (resume != null) {
                    try (StateReader reader = store.reader(resume)) {
                        trainer.restore(reader);
                    }
                }
                task.barrier();  // restoring fetched and hashed shards (file I/O): wait here, not in the first step
                double loadSeconds = (System.nanoTime() - t0) / 1e9;
                int total = ctx.plan().totalSteps();
                LOG.info("rank {}/{}: joined and loaded in {} s; steps {}..{} of {} rows{}", rank, ring.worldSize(),
                        String.format("%.1f", loadSeconds), first + 1, total, ctx.plan().globalBatchRows(),
                        resume == null ? "" : " (resumed from " + resume.dir() + ")");
                work = rank == 0 ? Files.createTempDirectory("sparktune-rank0-") : null;
                Path logFile = work == null ? null : work.resolve(OutputPublisher.TRAINER_LOG);
                if (resume != null && rank == 0) {
                    store.fetchTrainerLog(resume, logFile);
                }
                Mfu mfu = rank == 0 ? new Mfu(trainer.modelFlopsPerToken(), ctx.config().peakFlopsPerRank() > 0
                        ? ctx.config().peakFlopsPerRank() : GemmPeak.measure(1024, 5), ctx.config().worldSize()) : null;
                TrainerLog log = rank == 0 ? new TrainerLog(logFile, first, total, trainer.heldBytes(), mfu) : null;
                TensorBoardEvents events = rank == 0 ? TensorBoardEvents.create(work, mfu) : null;
                if (resume != null && rank == 0) {
                    events.replay(logFile);  // the steps before the resume, from the checkpoint's trainer log
                }
                List<StepMetrics> steps = new ArrayList<>();
                long t1 = System.nanoTime();
                NonFiniteLossException stopped = null;
                try {
                    for (int s = first; s < total; s++) {
                        StepMetrics m = trainer.step(s);
                        boolean logged = s == total - 1 || (s + 1) % ctx.config().loggingSteps() == 0;
                        if (rank == 0) {
                            steps.add(m);
                            log.record(m, logged);
                            events.record(m, logged);
                            ctx.progress().record(m, logged);
                            if (logged) {
                                LOG.info("step {}/{}: loss {} lr {} grad_norm {}", s + 1, total,
                                        String.format("%.4f", m.loss()), String.format("%.3g", m.lr()),
                                        String.format("%.3f", m.gradNorm()));
                            }
                        }
                        if (ctx.config().saveSteps() > 0 && (s + 1) % ctx.config().saveSteps() == 0) {
                            saveCheckpoint(store, task, ring, trainer, s + 1, logFile);
                        }
                    }
                } catch (NonFiniteLossException e) {
                    // every rank sees the same loss and norm, so all stop here together; returning (rather than
                    // failing the task) keeps Spark from retrying a run that would diverge again
                    stopped = e;
                }
                double trainSeconds = (System.nanoTime() - t1) / 1e9;
                LOG.info("rank {}: peak resident set of this process while training {} GB", rank,
                        String.format("%.2f", HostMemory.peakRss() / 1e9));
                if (stopped == null) {
                    Path model = rank == 0 ? Files.createDirectories(work.resolve("model")) : null;
                    trainer.save(model, modelDir, ctx.config().modelPath());  // every rank: gathers
                }
                if (rank == 0) {
                    if (Files.isRegularFile(logFile)) {
                        LossPlot.write(TrainerLog.losses(logFile), ctx.config().outputDir(),
                                work.resolve(LossPlot.FILE));
                    }
                    if (stopped != null && Files.isRegularFile(logFile)) {
                        // trainer_log.jsonl in output_dir vouches for a complete model: a stopped run's log must not
                        Files.move(logFile, work.resolve(OutputPublisher.STOPPED_LOG));
                    }
                    OutputPublisher.publish(work, ctx.config().outputDir(), ctx.hadoop().toConfiguration());
                }
                task.barrier();  // the job succeeds only once rank 0 has published (file I/O: no ring deadline)
                return new RankReport(rank, trainer.heldBytes(), ring.bytesMoved(), loadSeconds, trainSeconds, first,
                        steps, stopped);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("rank " + rank + ": " + e.getMessage(), e);
        } finally {
            if (work != null) {
                OutputPublisher.deleteQuietly(work);
            }
        }
    }

    /**
     * Rank 0 picks the checkpoint to start from, every rank follows: the newest one this launch saved (a retried
     * stage resumes from what its failed attempt committed), else the driver's choice. Sharing rank 0's choice keeps
     * ranks from disagreeing when a commit lands while they look.
     */
    private CheckpointStore.Committed resumePoint(CheckpointStore store, BarrierTaskContext task,
                                                  TcpRingCollective ring, int rank) {
        double step = 0;
        double own = 0;
        if (rank == 0) {
            // only a retried attempt can find checkpoints of this launch
            CheckpointStore.Committed saved = task.stageAttemptNumber() == 0 ? null
                    : store.newestOfLaunch(ctx.launchId()).orElse(null);
            CheckpointStore.Committed chosen = saved != null ? saved
                    : ctx.resumeDir() == null ? null : store.read(ctx.resumeDir());
            step = chosen == null ? 0 : chosen.manifest().step() + 1;
            own = saved != null ? 1 : 0;
        }
        double[] chosen = ring.allReduceSum(step, own);
        if (chosen[0] == 0) {
            return null;
        }
        int done = (int) chosen[0] - 1;
        CheckpointStore.Committed resume = store.read(chosen[1] == 1 ? store.dir(done) : ctx.resumeDir());
        List<String> differences = ctx.identity().differencesFrom(resume.manifest().run());
        if (!differences.isEmpty()) {
            throw new CheckpointException(resume.dir(), resume.dir() + " belongs to another run: "
                    + String.join("; ", differences));
        }
        return resume;
    }

    /**
     * Checkpoint after {@code done} steps: rank 0 clears the directory, every rank writes its share, then rank 0
     * commits (manifest + marker) and prunes to save_total_limit. The ranks wait for each other's file I/O on Spark's
     * barrier (no deadline) rather than on the ring, whose no-progress timeout is meant for network stalls; sizes and
     * hashes of the shards reach rank 0 through the barrier's allGather.
     */
    private void saveCheckpoint(CheckpointStore store, BarrierTaskContext task, TcpRingCollective ring,
                                RankTrainer trainer, int done, Path logFile) {
        long t0 = System.nanoTime();
        int rank = ring.rank();
        int world = ring.worldSize();
        int attempt = task.stageAttemptNumber();
        if (rank == 0) {
            store.clear(done);
        }
        task.barrier();
        List<StatePiece> pieces = trainer.checkpointPieces();
        CheckpointManifest.Shard mine = pieces.isEmpty() ? null
                : store.writeShard(done, CheckpointStore.shardFile(rank, world, attempt), pieces);
        String[] all = task.allGather(mine == null ? "" : mine.bytes() + " " + mine.sha256());
        if (rank == 0) {
            List<CheckpointManifest.Shard> shards = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                List<CheckpointManifest.Range> ranges = trainer.checkpointRanges(r);
                if (!ranges.isEmpty()) {
                    String[] sizeAndHash = all[r].split(" ");
                    shards.add(new CheckpointManifest.Shard(CheckpointStore.shardFile(r, world, attempt), ranges,
                            Long.parseLong(sizeAndHash[0]), sizeAndHash[1]));
                }
            }
            CheckpointManifest manifest = new CheckpointManifest(CheckpointManifest.FORMAT,
                    CheckpointManifest.VERSION, done, ctx.plan().totalSteps(), world, ctx.config().sharding().key(),
                    trainer.optimizerSteps(), ctx.launchId(), System.currentTimeMillis(), ctx.identity(), shards);
            store.commit(manifest, logFile);
            store.prune(ctx.config().saveTotalLimit(), done);
            LOG.info("checkpoint {} committed in {} s", store.dir(done),
                    String.format("%.1f", (System.nanoTime() - t0) / 1e9));
        }
        task.barrier();
    }

    @Override
    public String toString() {
        return "RankTask[" + ctx + "]";
    }
}
