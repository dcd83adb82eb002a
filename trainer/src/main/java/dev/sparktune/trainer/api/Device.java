package dev.sparktune.trainer.api;

/** What each rank computes on (train.device). */
public enum Device implements SettingValue {
    /** The executor's cores; no accelerator is asked for. */
    CPU,
    /**
     * One GPU per rank from Spark's GPU scheduling: the barrier stage's tasks each hold one ({@code
     * spark.task.resource.gpu.amount = 1}), and each rank reads its address from its task context. Today's trainer
     * computes on ND4J's CPU backend: the address is recorded and logged, the step runs on CPU.
     */
    GPU;
}
