package dev.sparktune.trainer.driver;

import dev.sparktune.trainer.api.NotEnoughSlotsException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkContext;

/**
 * A barrier stage with more tasks than free task slots waits (by default ~10 minutes) and then fails; check before
 * launching, giving executors a moment to register, and say what to change.
 */
final class SlotCheck {
    private SlotCheck() {}

    /** Task slots of the running application: executor cores in total / spark.task.cpus. */
    static int slots(SparkContext sc) {
        int taskCpus = Math.max(1, sc.conf().getInt("spark.task.cpus", 1));
        return cores(sc) / taskCpus;
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
        int executors = Math.max(0, sc.statusTracker().getExecutorInfos().length - 1); // minus the driver
        int perExecutor = sc.conf().getInt("spark.executor.cores", 0);
        return perExecutor > 0 ? executors * perExecutor : sc.defaultParallelism();
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
                            + "): lower world_size, or add executors / cores (e.g. "
                            + "local[" + worldSize + "], --num-executors, spark.executor.cores)");
        }
    }
}
