/**
 * Training checkpoints on any Hadoop file system: {@code checkpoint-<step>/} directories with one shard file per rank
 * and a manifest ({@link dev.sparktune.trainer.checkpoint.CheckpointManifest}), committed without renames
 * ({@link dev.sparktune.trainer.checkpoint.CheckpointStore}), read back under any world size
 * ({@link dev.sparktune.trainer.checkpoint.StateReader}), and refused when they belong to another run
 * ({@link dev.sparktune.trainer.checkpoint.RunIdentity}). No Spark here.
 */
package dev.sparktune.trainer.checkpoint;
