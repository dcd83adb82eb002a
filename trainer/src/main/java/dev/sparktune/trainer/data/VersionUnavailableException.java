package dev.sparktune.trainer.data;

/**
 * A table version asked for can no longer be read, or never existed: the one a resumed run must train on (its
 * checkpoint names it), or the one a config key pins (eval.table_version, train.ref_logprobs_table_version). Log
 * entries or data files are cleaned up by VACUUM and log retention.
 */
public final class VersionUnavailableException extends TableVersionException {
    VersionUnavailableException(String tablePath, long version, String message, Throwable cause) {
        super(tablePath, version, message, cause);
    }
}
