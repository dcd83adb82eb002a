/**
 * The driver side of a training run's barrier stage: {@link dev.sparktune.trainer.driver.BarrierLauncher} runs all
 * ranks as ONE barrier stage, after checking that enough task slots are free; while it runs, the progress listener
 * prints rank 0's steps from executor heartbeats. Also the cores each rank's math may use.
 */
package dev.sparktune.trainer.driver;
