package dev.sparktune.trainer.driver;

import dev.sparktune.trainer.api.GpuSchedulingException;
import dev.sparktune.trainer.api.NotEnoughSlotsException;
import dev.sparktune.trainer.plan.SparkMaster;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkContext;

/**
 * A barrier stage with more tasks than free task slots waits (by default ~10 minutes) and then fails; check before
 * launching, giving executors a moment to register, and say what to change.
 */
final class SlotCheck {
    private static final String EXECUTOR_GPUS = "spark.executor.resource.gpu.amount";

    private SlotCheck() {}

    /**
     * Task slots of the running application: executor cores in total / spark.task.cpus, and where tasks hold GPUs, no
     * more than the executors' GPUs allow (Spark counts a slot only where both fit).
     */
    static int slots(SparkContext sc) {
        int taskCpus = Math.max(1, sc.conf().getInt("spark.task.cpus", 1));
        int byCores = cores(sc) / taskCpus;
        double taskGpus = sc.conf().getDouble(GpuSchedulingException.TASK_AMOUNT, 0);
        if (!(taskGpus > 0) || SparkMaster.isLocal(sc.master())) {
            return byCores; // local mode schedules no resources (GpuSchedulingException refuses device gpu there)
        }
        int perExecutor = (int) Math.floor(sc.conf().getDouble(EXECUTOR_GPUS, 0) / taskGpus);
        return Math.min(byCores, executors(sc) * perExecutor);
    }

    /** Executors registered, the driver not counted. */
    private static int executors(SparkContext sc) {
        return Math.max(0, sc.statusTracker().getExecutorInfos().length - 1);
    }

    static int cores(SparkContext sc) {
        String master = sc.master();
        Matcher m;
        if ((m = Pattern.compile("local-cluster\\[(\\d+),\\s*(\\d+),.*").matcher(master)).matches()) {
            int registered = sc.statusTracker().getExecutorInfos().length - 1;
            return Math.min(Integer.parseInt(m.group(1)), Math.max(0, registered)) * Integer.parseInt(m.group(2));
        }
        if ((m = Pattern.compile("local\\[(\\*|\\d+)(,\\d+)?]").matcher(master)).matches()) {
            return m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(m.group(1));
        }
        if (master.equals("local")) {
            return 1;
        }
        int perExecutor = sc.conf().getInt("spark.executor.cores", 0);
        return perExecutor > 0 ? executors(sc) * perExecutor : sc.defaultParallelism();
    }

    static void require(SparkContext sc, int worldSize, long waitMillis) {
        // local masters know their slots up front; clusters may still be registering executors
        long deadline = System.currentTimeMillis() + (sc.master().startsWith("local[") ? 0 : waitMillis);
        int slots = slots(sc);
        while (slots < worldSize && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            slots = slots(sc);
        }
        if (slots < worldSize) {
            throw new NotEnoughSlotsException(
                    worldSize,
                    slots,
                    "world_size = " + worldSize + " needs " + worldSize
                            + " concurrent task slots but the application has " + slots + " (master " + sc.master()
                            + ", executor cores in total " + cores(sc) + ", spark.task.cpus "
                            + sc.conf().getInt("spark.task.cpus", 1)
                            + (sc.conf().contains(GpuSchedulingException.TASK_AMOUNT)
                                    ? ", " + EXECUTOR_GPUS + " " + sc.conf().get(EXECUTOR_GPUS, "unset") + ", "
                                            + GpuSchedulingException.TASK_AMOUNT + " "
                                            + sc.conf().get(GpuSchedulingException.TASK_AMOUNT)
                                    : "")
                            + "): lower world_size, or add executors / cores / GPUs (e.g. "
                            + "local[" + worldSize + "], --num-executors, spark.executor.cores)");
        }
    }
}
