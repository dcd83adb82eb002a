package dev.sparktune.trainer.data;

/**
 * The table version a resumed run must train on (the one its checkpoint names) can no longer be read: its log entries
 * or data files were cleaned up (VACUUM, log retention).
 */
public final class VersionUnavailableException extends TrainDataException {
    private final String tablePath;
    private final long version;

    VersionUnavailableException(String tablePath, long version, String message, Throwable cause) {
        super(message, cause);
        this.tablePath = tablePath;
        this.version = version;
    }

    public String tablePath() {
        return tablePath;
    }

    public long version() {
        return version;
    }
}
