package dev.sparktune.trainer.plan;

/** What a Spark master URL says about where tasks run. */
public final class SparkMaster {
    private SparkMaster() {}

    /**
     * Every task in the driver's JVM: {@code local} or {@code local[...]}, Spark's own rule (Utils.isLocalMaster), which
     * also decides that dynamic allocation is off and no resources (GPUs) are scheduled there. {@code local-cluster}
     * is not local: its executors are JVMs of their own.
     */
    public static boolean isLocal(String master) {
        return master.equals("local") || master.startsWith("local[");
    }
}
