package dev.sparktune.trainer.data;

import java.net.URI;

/** A data file of the pinned version is missing, unreadable, or no longer holds the rows counted when pinning. */
public final class DataFileException extends TableVersionException {
    private final URI file;

    DataFileException(PinnedSnapshot snapshot, URI file, String message, Throwable cause) {
        super(snapshot.path(), snapshot.version(), message, cause);
        this.file = file;
    }

    public URI file() {
        return file;
    }
}
