package dev.sparktune.trainer.driver;

import dev.sparktune.trainer.task.ProgressAccumulators;
import java.util.concurrent.TimeUnit;
import org.apache.spark.Success$;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple4;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Shows training progress on the driver while the barrier stage runs: reads rank 0's {@link ProgressAccumulators}
 * from executor heartbeats (which carry running tasks' accumulator values, every spark.executor.heartbeatInterval)
 * and prints to stderr a {@link ProgressTracker} line at most every {@value #INTERVAL_SECONDS} s, and a last one when
 * rank 0's task ends (its final accumulator values come with the task-end event). Lines go to stderr rather than
 * the log, which spark-submit's console logger would print a second time.
 * Registered by {@link BarrierLauncher} for the duration of the training job only.
 */
final class ProgressListener extends SparkListener {
    static final long INTERVAL_SECONDS = 10;
    private static final Logger LOG = LoggerFactory.getLogger(ProgressListener.class);
    private final long stepsId;
    private final long lossId;
    private final ProgressTracker tracker;

    ProgressListener(ProgressAccumulators progress, int totalSteps) {
        this.stepsId = progress.stepsDone().id();
        this.lossId = progress.loss().id();
        this.tracker = new ProgressTracker(totalSteps, TimeUnit.SECONDS.toNanos(INTERVAL_SECONDS));
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        Reported reported = Reported.NONE;
        for (Tuple4<Object, Object, Object, Seq<AccumulableInfo>> task :
                CollectionConverters.asJava(update.accumUpdates())) {
            reported = read(CollectionConverters.asJava(task._4()), reported);
        }
        if (reported.steps() > 0) { // heartbeats of other executors, and rank 0's before its first step, carry none
            tracker.observe(System.nanoTime(), reported.steps(), reported.loss())
                    .ifPresent(ProgressListener::show);
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        Reported reported = read(CollectionConverters.asJava(end.taskInfo().accumulables()), Reported.NONE);
        if (reported.steps() > 0) { // rank 0's task: only it counts steps
            show(tracker.finished(System.nanoTime(), reported.steps(), reported.loss())
                    + (end.reason() instanceof Success$ ? "" : " (the task failed: " + end.reason() + ")"));
        }
    }

    /** Rank 0's step count and last loss as accumulator updates carry them; 0 steps: none carried. */
    private record Reported(long steps, double loss) {
        static final Reported NONE = new Reported(0, Double.NaN);
    }

    /** {@code before} with the steps and loss among these updates in place of its own, where they carry them. */
    private Reported read(Iterable<AccumulableInfo> updates, Reported before) {
        long steps = before.steps();
        double loss = before.loss();
        for (AccumulableInfo info : updates) {
            if (info.update().isEmpty()) {
                continue;
            }
            if (info.id() == stepsId) {
                steps = ((Number) info.update().get()).longValue();
            } else if (info.id() == lossId) {
                loss = ((Number) info.update().get()).doubleValue();
            }
        }
        return new Reported(steps, loss);
    }

    private static void show(String line) {
        LOG.debug(line);
        System.err.println(line);
    }
}
