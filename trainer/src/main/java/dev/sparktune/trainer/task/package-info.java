/**
 * The rank runtime, what runs inside one barrier task: {@link dev.sparktune.trainer.task.RankTask} (start reading here)
 * loads the model, joins the ring, restores a checkpoint and drives {@link dev.sparktune.trainer.task.RankTrainer}'s
 * step loop; the fsdp strategies behind {@link dev.sparktune.trainer.task.TrainingState} (trainable parameters
 * replicated or fully sharded), the objectives (SFT, preference), the memory plan, rank checkpoints and rank 0's outputs.
 */
package dev.sparktune.trainer.task;
