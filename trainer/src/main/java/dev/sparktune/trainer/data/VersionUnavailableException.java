package dev.sparktune.trainer.data;

/**
 * The table version a resumed run must train on (the one its checkpoint names) can no longer be read: its log entries
 * or data files were cleaned up (VACUUM, log retention).
 */
public final class VersionUnavailableException extends TableVersionException {
    VersionUnavailableException(String tablePath, long version, String message, Throwable cause) {
        super(tablePath, version, message, cause);
    }
}
