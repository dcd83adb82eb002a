/**
 * The reference pass of preference training as a plain Spark job: each document's log-prob under the reference
 * model, written to a Delta table keyed by doc_id ({@link dev.sparktune.trainer.reference.RefLogProbsTable}).
 */
package dev.sparktune.trainer.reference;
