/**
 * The {@code eval} verb: {@link dev.sparktune.trainer.eval.EvalJob} scores the eval split of a pinned packed table with
 * a model (an optional LoRA adapter merged in) on the executors: loss and perplexity over every supervised token,
 * generated answers against the references for a sample of documents, and preference metrics on a table of pairs.
 */
package dev.sparktune.trainer.eval;
