package dev.sparktune.trainer.api;

import dev.sparktune.trainer.TrainerException;
import dev.sparktune.trainer.plan.SparkMaster;
import org.apache.spark.SparkContext;

/**
 * Training asked for on an application whose executors come and go (dynamic allocation): Spark runs no barrier stage
 * there and fails one only when it is submitted (SPARK-24942), after the table is pinned and the reference read.
 * {@link #require} refuses it before any Spark job, naming the setting.
 */
public final class DynamicAllocationException extends TrainerException {
    /** Spark's setting. */
    public static final String SETTING = "spark.dynamicAllocation.enabled";

    private final String master;

    private DynamicAllocationException(String master, String message) {
        super(message);
        this.master = master;
    }

    /** The master the application runs on. */
    public String master() {
        return master;
    }

    /** {@link #require(String, String, int)} with the running application's master and setting. */
    public static void require(SparkContext sc, int worldSize) {
        require(sc.master(), sc.getConf().get(SETTING, null), worldSize);
    }

    /**
     * Refuses training where Spark would turn dynamic allocation on: {@code spark.dynamicAllocation.enabled} true on a
     * master that is not local (local masters ignore it, as Spark does).
     *
     * @param enabled the application's {@link #SETTING}, null when unset
     */
    public static void require(String master, String enabled, int worldSize) {
        if (SparkMaster.isLocal(master) || enabled == null || !Boolean.parseBoolean(enabled.strip())) {
            return;
        }
        throw new DynamicAllocationException(
                master,
                SETTING + " = true: training runs its " + worldSize + " ranks as one barrier "
                        + "stage, which Spark refuses under dynamic allocation (SPARK-24942). Set "
                        + SETTING + " = false for the application that trains (spark.conf in the config, or "
                        + "--conf on spark-submit) with spark.executor.instances >= train.world_size; applications "
                        + "that only prep, score references, export or evaluate may keep it");
    }
}
