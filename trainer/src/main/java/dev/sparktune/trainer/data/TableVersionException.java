package dev.sparktune.trainer.data;

/**
 * A training-data error found in one version of the table (the one pinned for this run, or the one a resumed
 * checkpoint names); its message names the table as path@version.
 */
public abstract class TableVersionException extends TrainDataException {
    private final long version;

    TableVersionException(String tablePath, long version, String message, Throwable cause) {
        super(tablePath, message, cause);
        this.version = version;
    }

    public long version() {
        return version;
    }
}
