package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.flops.GemmPeak;
import dev.sparktune.trainer.checkpoint.CheckpointStore;
import dev.sparktune.trainer.metrics.MetricPlot;
import dev.sparktune.trainer.metrics.MetricPoint;
import dev.sparktune.trainer.metrics.Mfu;
import dev.sparktune.trainer.metrics.TensorBoardEvents;
import dev.sparktune.trainer.metrics.TrainerLog;
import dev.sparktune.trainer.preference.PairScoring;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * What only rank 0 produces: a local work directory that collects the trainer log, the TensorBoard events and, at
 * the end, the model and the loss plot, published to output_dir as a whole; and the metrics of every step it ran,
 * which go back to the driver. Closing deletes the work directory.
 */
final class Rank0Outputs implements AutoCloseable {
    private final Path work;
    private final Path logFile;
    private final TrainerLog log;
    private final TensorBoardEvents events;
    private final List<StepMetrics> steps = new ArrayList<>();

    private Rank0Outputs(Path work, Path logFile, TrainerLog log, TensorBoardEvents events) {
        this.work = work;
        this.logFile = logFile;
        this.log = log;
        this.events = events;
    }

    /**
     * Starts the outputs of a run that begins at step {@code first}: a resumed run ({@code resume} not null) carries
     * on the trainer log and TensorBoard events of its checkpoint.
     */
    static Rank0Outputs open(
            TrainingContext ctx,
            RankTrainer trainer,
            CheckpointStore store,
            CheckpointStore.Committed resume,
            int first)
            throws IOException {
        Path work = Files.createTempDirectory("sparktune-rank0-");
        try {
            Path logFile = work.resolve(OutputPublisher.TRAINER_LOG);
            if (resume != null) {
                store.fetchTrainerLog(resume, logFile);
            }
            Mfu mfu = new Mfu(
                    trainer.modelFlopsPerToken(),
                    ctx.config().metrics().peakFlopsPerRank() > 0
                            ? ctx.config().metrics().peakFlopsPerRank()
                            : GemmPeak.measure(1024, 5),
                    ctx.config().parallelism().worldSize());
            TrainerLog log = new TrainerLog(logFile, first, ctx.plan().totalSteps(), trainer.heldBytes(), mfu);
            TensorBoardEvents events = TensorBoardEvents.create(work, mfu);
            if (resume != null) {
                events.replay(logFile, trainer.objectiveMetrics()); // the steps before the resume, from its log
            }
            return new Rank0Outputs(work, logFile, log, events);
        } catch (Throwable e) {
            OutputPublisher.deleteQuietly(work); // no caller will close what was never returned
            throw e;
        }
    }

    /** The local trainer log, which each checkpoint saves a copy of. */
    Path logFile() {
        return logFile;
    }

    /** Records step {@code m}; a logging step ({@code logged}) also writes the log line and the event. */
    void record(StepMetrics m, boolean logged) {
        steps.add(m);
        log.record(m, logged);
        events.record(m, logged);
    }

    /** The metrics of every step this run recorded, in order. */
    List<StepMetrics> steps() {
        return steps;
    }

    /** The local directory the trained model or adapter is saved into. */
    Path modelDir() throws IOException {
        return Files.createDirectories(work.resolve("model"));
    }

    /**
     * Writes the plots and copies everything to {@code outputDir}; the log of a run {@code stopped} by a non-finite
     * loss goes under another name.
     */
    void publish(boolean stopped, String outputDir, Configuration conf) throws IOException {
        if (Files.isRegularFile(logFile)) {
            MetricPlot.write(
                    "loss", TrainerLog.points(logFile, "loss"), outputDir, work.resolve(MetricPlot.fileName("loss")));
            // LLaMA-Factory's dpo workflow plots the reward accuracy too; only a pair run logs it
            List<MetricPoint> accuracies = TrainerLog.points(logFile, PairScoring.ACCURACY);
            if (!accuracies.isEmpty()) {
                MetricPlot.write(
                        PairScoring.ACCURACY,
                        accuracies,
                        outputDir,
                        work.resolve(MetricPlot.fileName(PairScoring.ACCURACY)));
            }
        }
        if (stopped && Files.isRegularFile(logFile)) {
            // trainer_log.jsonl in output_dir vouches for a complete model: a stopped run's log must not
            Files.move(logFile, work.resolve(OutputPublisher.STOPPED_LOG));
        }
        OutputPublisher.publish(work, outputDir, conf);
    }

    @Override
    public void close() {
        OutputPublisher.deleteQuietly(work);
    }
}
