package dev.sparktune.trainer.reference;

import dev.sparktune.trainer.TrainerException;
import dev.sparktune.trainer.data.VersionUnavailableException;
import java.util.List;

/**
 * Preference training cannot use the reference log-probs it was given: the table is absent, none of its versions was
 * computed from the packed table version the run reads by the run's reference model, or it lacks a document; or the
 * reference pass cannot read the packed table version it was asked to score. Each message names the table and what
 * to do (run the ref-logprobs verb again, with the right reference and table version).
 */
public final class RefLogProbsException extends TrainerException {
    private static final String RERUN = "run `sparktune ref-logprobs` with the same config (it scores version "
            + "train.ref_logprobs_table_version of train.table, by default the latest, with train.ref_model / "
            + "train.ref_model_adapters)";
    /** Versions of the reference table a message lists, newest first. */
    private static final int VERSIONS_LISTED = 5;

    private RefLogProbsException(String message) {
        super(message);
    }

    private RefLogProbsException(String message, Throwable cause) {
        super(message, cause);
    }

    static RefLogProbsException missing(String refTable, String table, String loss) {
        return new RefLogProbsException("pref_loss = " + loss + " compares against the reference model's log-probs, "
                + "and there is no Delta table at " + refTable + " (train.ref_logprobs_table) for " + table + ": "
                + RERUN + " first, or train with a reference-free pref_loss (orpo, simpo)");
    }

    /**
     * @param wanted       the packed table version and reference model the run needs, described
     * @param versions     each readable version of the reference table, newest first, described
     * @param otherModel   the reference model that scored the wanted table version instead, or ""
     */
    static RefLogProbsException noMatch(
            String refTable, String wanted, long tableVersion, List<String> versions, String otherModel) {
        String listed = String.join("; ", versions.subList(0, Math.min(VERSIONS_LISTED, versions.size())))
                + (versions.size() > VERSIONS_LISTED
                        ? "; and " + (versions.size() - VERSIONS_LISTED) + " older versions"
                        : "");
        return new RefLogProbsException(refTable + " has no version holding the reference log-probs this run needs, "
                + "of " + wanted + "; its versions, newest first: " + listed + ". Run `sparktune ref-logprobs` "
                + "with the same config and train.ref_logprobs_table_version = " + tableVersion + " (it scores that "
                + "version of train.table with train.ref_model / train.ref_model_adapters into a new version of "
                + refTable + "; runs reading other table versions still find theirs in its older versions)"
                + (otherModel.isEmpty()
                        ? ""
                        : ", or set train.ref_model / train.ref_model_adapters to the reference model that scored "
                                + "this table version, " + otherModel));
    }

    /** The packed table has no version train.ref_logprobs_table_version names: a problem of the reference pass's. */
    static RefLogProbsException versionUnavailable(VersionUnavailableException e) {
        return new RefLogProbsException(e.getMessage(), e);
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
