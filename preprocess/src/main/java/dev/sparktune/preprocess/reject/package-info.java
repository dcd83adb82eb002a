/**
 * Rejected input records: one {@link dev.sparktune.preprocess.reject.Reject} per record that did not become a document,
 * with one {@link dev.sparktune.preprocess.reject.RejectReason} code, as the rejects table stores them. Depends on
 * nothing else in the module, so every stage can produce rejects.
 */
package dev.sparktune.preprocess.reject;
