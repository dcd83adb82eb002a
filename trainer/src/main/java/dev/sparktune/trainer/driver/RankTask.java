package dev.sparktune.trainer.driver;

import dev.sparktune.dl4j.collective.RingOptions;
import dev.sparktune.dl4j.collective.TcpRingCollective;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.trainer.data.SnapshotRowSource;
import dev.sparktune.trainer.metrics.TrainerLog;
import dev.sparktune.trainer.task.RankTrainer;
import dev.sparktune.trainer.rendezvous.RingRendezvous;
import dev.sparktune.trainer.task.StepMetrics;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * The body of one barrier task = one rank: join the ring, load the model and its rows, train every step, and on
 * rank 0 write the result and the trainer log to the output directory. Each phase is timed and logged with the rank.
 */
final class RankTask extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<RankReport>>
        implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RankTask.class);
    private final TrainingContext ctx;

    RankTask(TrainingContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public scala.collection.Iterator<RankReport> apply(scala.collection.Iterator<Integer> ignored) {
        BarrierTaskContext task = BarrierTaskContext.get();
        return CollectionConverters.asScala(List.of(run(task)).iterator());
    }

    private RankReport run(BarrierTaskContext task) {
        int rank = task.partitionId();
        long t0 = System.nanoTime();
        RingOptions options = RingOptions.defaults().withIoTimeout(Duration.ofSeconds(ctx.ioTimeoutSeconds()));
        Path work = null;
        try (TcpRingCollective ring = RingRendezvous.join(task, ctx.secret(), options)) {
            HfModelDir.Loaded base = HfModelDir.load(Path.of(ctx.config().modelPath()));
            SnapshotRowSource rows = new SnapshotRowSource(ctx.snapshot(), ctx.hadoop().toConfiguration());
            try (RankTrainer trainer = new RankTrainer(ctx.config(), ctx.plan(), base, ctx.seqLen(), ring, rows)) {
                double loadSeconds = (System.nanoTime() - t0) / 1e9;
                LOG.info("rank {}/{}: joined and loaded in {} s; {} steps of {} rows", rank, ring.worldSize(),
                        String.format("%.1f", loadSeconds), ctx.plan().totalSteps(), ctx.plan().globalBatchRows());
                work = rank == 0 ? Files.createTempDirectory("sparktune-rank0-") : null;
                TrainerLog log = rank == 0 ? new TrainerLog(work.resolve(OutputPublisher.TRAINER_LOG),
                        ctx.plan().totalSteps(), trainer.heldBytes()) : null;
                List<StepMetrics> steps = new ArrayList<>();
                long t1 = System.nanoTime();
                for (int s = 0; s < ctx.plan().totalSteps(); s++) {
                    StepMetrics m = trainer.step(s);
                    if (rank == 0) {
                        steps.add(m);
                        boolean last = s == ctx.plan().totalSteps() - 1;
                        log.record(m, last || (s + 1) % ctx.config().loggingSteps() == 0);
                        if (last || (s + 1) % ctx.config().loggingSteps() == 0) {
                            LOG.info("step {}/{}: loss {} lr {} grad_norm {}", s + 1, ctx.plan().totalSteps(),
                                    String.format("%.4f", m.loss()), String.format("%.3g", m.lr()),
                                    String.format("%.3f", m.gradNorm()));
                        }
                    }
                }
                double trainSeconds = (System.nanoTime() - t1) / 1e9;
                if (rank == 0) {
                    Path model = Files.createDirectories(work.resolve("model"));
                    trainer.save(model, Path.of(ctx.config().modelPath()), ctx.config().modelPath());
                    OutputPublisher.publish(work, ctx.config().outputDir(), ctx.hadoop().toConfiguration());
                }
                ring.barrier();  // the job succeeds only once rank 0 has published
                return new RankReport(rank, trainer.heldBytes(), ring.bytesMoved(), loadSeconds, trainSeconds, steps);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("rank " + rank + ": " + e.getMessage(), e);
        } finally {
            if (work != null) {
                OutputPublisher.deleteQuietly(work);
            }
        }
    }

    @Override
    public String toString() {
        return "RankTask[" + ctx + "]";
    }
}
