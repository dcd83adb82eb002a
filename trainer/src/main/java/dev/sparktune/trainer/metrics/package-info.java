/**
 * What rank 0 logs about training, in the formats the Hugging Face tools read: trainer_log.jsonl
 * ({@link dev.sparktune.trainer.metrics.TrainerLog}, LLaMA-Factory's keys), TensorBoard event files written by hand
 * ({@link dev.sparktune.trainer.metrics.TensorBoardEvents}), LLaMA-Factory's loss plot, tokens per second and MFU. No
 * Spark and no ND4J here.
 */
package dev.sparktune.trainer.metrics;
