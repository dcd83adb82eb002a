package dev.sparktune.trainer.data;

import dev.sparktune.trainer.TrainerException;

/**
 * Root of the errors that keep training from getting its rows: the table is absent, is not a packed table, uses a
 * Delta feature the direct Parquet reader cannot honour, or a data file of the pinned version cannot be read.
 * Unchecked, because a task can only fail with it. Every one is about the table training was given, so the path is
 * held here; {@link TableVersionException} adds the version for those found in a version of it, and each subclass
 * keeps the values it alone is about. Messages come from {@link TrainDataErrors}.
 */
public abstract class TrainDataException extends TrainerException {
    private final String tablePath;

    /** {@code cause} may be null: a check that found the problem itself has none. */
    TrainDataException(String tablePath, String message, Throwable cause) {
        super(message, cause);
        this.tablePath = tablePath;
    }

    /** The qualified path of the table training was given. */
    public String tablePath() {
        return tablePath;
    }
}
