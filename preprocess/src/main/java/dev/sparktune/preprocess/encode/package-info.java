/**
 * From input record to training document: {@link dev.sparktune.preprocess.encode.DocumentEncoder} converts, renders
 * with the chat template, tokenizes with the model's HF tokenizer (DJL, cached per JVM) and labels the assistant spans
 * with LLaMA-Factory's cutoff semantics ({@link dev.sparktune.preprocess.encode.SupervisedLabels}); each record becomes
 * one {@link dev.sparktune.preprocess.encode.EncodeOutcome}, a document or a reject. Built on the driver, run on
 * executors.
 */
package dev.sparktune.preprocess.encode;
