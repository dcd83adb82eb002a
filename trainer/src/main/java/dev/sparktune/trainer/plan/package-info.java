/**
 * Planning before a launch: which rows each optimizer step uses and how a step's rows split over ranks
 * ({@link dev.sparktune.trainer.plan.StepPlan}: the same rows per step for any world size, which lets a run resume on
 * another one), and the bytes a rank may allocate ({@link dev.sparktune.trainer.plan.MemoryBudget},
 * {@link dev.sparktune.trainer.plan.HostMemory}, what a master URL says: {@link dev.sparktune.trainer.plan.SparkMaster}). No Spark here.
 */
package dev.sparktune.trainer.plan;
