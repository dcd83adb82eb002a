package dev.sparktune.trainer.driver;

import dev.sparktune.trainer.plan.SparkMaster;
import org.apache.spark.SparkContext;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How many cores each rank's math runs on, set per rank process rather than left to OMP_NUM_THREADS. ND4J's
 * OpenMP pool and OpenBLAS's thread pool both default to every core of the machine; ranks sharing a JVM (local
 * mode) or an executor then oversubscribe the cores: measured on 2 cores, one Qwen3-0.6B layer's checkpointed step
 * (two forwards and a backward, rows of 1024 tokens, LoRA), in layer-steps per second: 1 rank × 2 threads 0.90,
 * 2 ranks × 1 thread 0.70-0.77, 2 ranks × 2 threads 0.28.
 *
 * <p>Local mode: the master's cores divided among the ranks; on a cluster: spark.task.cpus, the cores Spark reserves
 * for each task (give the ranks an executor's cores with spark.task.cpus = spark.executor.cores). The reference pass
 * ({@code RefLogProbsJob}) sizes its tasks the same way.
 */
public final class RankThreads {
    private RankThreads() {}

    /** The cores of one rank, as the driver sees the application. */
    public static int perRank(SparkContext sc, int worldSize) {
        String master = sc.master();
        if (SparkMaster.isLocal(master)) {
            return Math.max(1, SlotCheck.cores(sc) / worldSize);
        }
        return Math.max(1, sc.conf().getInt("spark.task.cpus", 1));
    }

    /** Undoes {@link #apply} (no checked exception). */
    public interface Restore extends AutoCloseable {
        @Override
        void close();
    }

    private static final Object LOCK = new Object();
    private static int active; // ranks of this JVM between apply and close
    private static int savedMaster; // the setting before the first of them
    private static int savedBlas;

    /**
     * Runs ND4J's operations and its BLAS on {@code threads} threads in this process until the last rank of the
     * process closes its handle, which restores the setting found before the first (local mode keeps using the JVM
     * after training: eval, export).
     */
    public static Restore apply(int threads) {
        synchronized (LOCK) {
            if (active++ == 0) {
                savedMaster = Nd4j.getEnvironment().maxMasterThreads();
                savedBlas = Nd4j.factory().blas().getMaxThreads();
            }
            Nd4j.getEnvironment().setMaxMasterThreads(threads);
            Nd4j.factory().blas().setMaxThreads(threads);
        }
        return () -> {
            synchronized (LOCK) {
                if (--active == 0) {
                    Nd4j.getEnvironment().setMaxMasterThreads(savedMaster);
                    Nd4j.factory().blas().setMaxThreads(savedBlas);
                }
            }
        };
    }
}
