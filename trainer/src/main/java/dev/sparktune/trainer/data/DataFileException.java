package dev.sparktune.trainer.data;

import java.net.URI;

/** A data file of the pinned version is missing, unreadable, or no longer holds the rows counted when pinning. */
public final class DataFileException extends TrainDataException {
    private final URI file;
    private final String tablePath;
    private final long version;

    DataFileException(URI file, String tablePath, long version, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
        this.tablePath = tablePath;
        this.version = version;
    }

    public URI file() {
        return file;
    }

    public String tablePath() {
        return tablePath;
    }

    public long version() {
        return version;
    }
}
