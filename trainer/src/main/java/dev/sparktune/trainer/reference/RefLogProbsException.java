package dev.sparktune.trainer.reference;

import dev.sparktune.trainer.TrainerException;

/**
 * Preference training cannot use the reference log-probs it was given: the table is absent, was computed from another
 * version of the packed table or by another reference model, or lacks a document. Each message names the table and
 * what to do (run the ref-logprobs verb again, with the right reference).
 */
public final class RefLogProbsException extends TrainerException {
    private static final String RERUN = "run `sparktune ref-logprobs` with the same config (it scores the packed "
            + "table's latest version with train.ref_model / train.ref_model_adapters)";

    private RefLogProbsException(String message) {
        super(message);
    }

    static RefLogProbsException missing(String refTable, String table, String loss) {
        return new RefLogProbsException("pref_loss = " + loss + " compares against the reference model's log-probs, "
                + "and there is no Delta table at " + refTable + " (train.ref_logprobs_table) for " + table + ": "
                + RERUN + " first, or train with a reference-free pref_loss (orpo, simpo)");
    }

    static RefLogProbsException otherTable(
            String refTable, String source, String sourceVersion, String table, long version) {
        return new RefLogProbsException(refTable + " holds reference log-probs of " + source + "@" + sourceVersion
                + ", but this run reads " + table + "@" + version + ": " + RERUN + ". ref-logprobs scores the latest "
                + "version only: a run resuming a checkpoint of an older version, or eval.table_version pinned to "
                + "one, cannot get matching log-probs; train from scratch (train.overwrite_output_dir = true) or "
                + "evaluate the latest version (eval.table_version = -1)");
    }

    static RefLogProbsException otherModel(
            String refTable, String theirs, String theirFingerprint, String ours, String ourFingerprint) {
        return new RefLogProbsException(refTable + " holds the log-probs of reference model " + theirs + " ("
                + theirFingerprint + "), but this run's reference is " + ours + " (" + ourFingerprint + "): " + RERUN
                + ", or set train.ref_model / train.ref_model_adapters to the reference it was computed with");
    }

    static RefLogProbsException missingDocument(String refTable, long docId) {
        return new RefLogProbsException(refTable + " has no reference log-prob of document " + docId + " (the packed "
                + "table was changed after the reference pass?): " + RERUN);
    }

    static RefLogProbsException duplicateDocument(String refTable, long docId) {
        return new RefLogProbsException(
                refTable + " holds document " + docId + " twice (not a table ref-logprobs " + "wrote?): " + RERUN);
    }

    static RefLogProbsException tokenCount(String refTable, long docId, int refTokens, int tokens) {
        return new RefLogProbsException(refTable + " scored " + refTokens + " response tokens of document " + docId
                + ", the packed row supervises " + tokens + ": the log-probs belong to other rows; " + RERUN);
    }
}
