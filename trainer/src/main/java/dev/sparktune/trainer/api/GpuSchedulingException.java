package dev.sparktune.trainer.api;

import dev.sparktune.trainer.TrainerException;
import dev.sparktune.trainer.plan.SparkMaster;
import org.apache.spark.SparkContext;

/**
 * train.device = gpu on an application whose tasks are assigned no GPU: local mode (which assigns none), or no
 * {@code spark.task.resource.gpu.amount} of at least 1 (a rank holds a whole GPU). {@link #require} refuses it before any Spark job, naming the settings; a
 * rank whose task still got none refuses to start ({@link #noneAssigned}).
 */
public final class GpuSchedulingException extends TrainerException {
    /** Spark's per-task GPU request. */
    public static final String TASK_AMOUNT = "spark.task.resource.gpu.amount";

    private static final String SETTINGS = TASK_AMOUNT + " = 1 and spark.executor.resource.gpu.amount >= 1, with "
            + "spark.executor.resource.gpu.discoveryScript on YARN and Kubernetes (Kubernetes: also "
            + "spark.executor.resource.gpu.vendor), or spark.worker.resource.gpu.amount and "
            + "spark.worker.resource.gpu.discoveryScript on standalone workers";

    private GpuSchedulingException(String message) {
        super(message);
    }

    /** {@link #require(String, String, Device)} with the running application's master and request. */
    public static void require(SparkContext sc, Device device) {
        require(sc.master(), sc.getConf().get(TASK_AMOUNT, null), device);
    }

    /**
     * @param taskAmount the application's {@link #TASK_AMOUNT}, null when unset
     */
    public static void require(String master, String taskAmount, Device device) {
        if (device != Device.GPU) {
            return;
        }
        if (SparkMaster.isLocal(master)) {
            throw new GpuSchedulingException("train.device = gpu: local mode (" + master + ") assigns no GPU to "
                    + "tasks; run on a cluster manager that does (standalone or local-cluster, YARN, Kubernetes) with "
                    + SETTINGS + ", or set train.device = cpu");
        }
        if (taskAmount == null || !(parsed(taskAmount) >= 1)) {
            throw new GpuSchedulingException("train.device = gpu: each rank's barrier task must hold one GPU, but "
                    + TASK_AMOUNT + " is " + (taskAmount == null ? "unset" : "'" + taskAmount + "'")
                    + "; set " + SETTINGS);
        }
    }

    /** A rank whose task Spark assigned no GPU although the application asks for them. */
    public static GpuSchedulingException noneAssigned(int rank, Iterable<String> resources) {
        return new GpuSchedulingException("rank " + rank + ": train.device = gpu but Spark assigned this task no GPU "
                + "(its resources: " + resources + "); set " + SETTINGS);
    }

    private static double parsed(String amount) {
        try {
            return Double.parseDouble(amount.strip());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
