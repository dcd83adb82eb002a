package dev.sparktune.trainer.data;

import dev.sparktune.trainer.TrainerException;

/**
 * Root of the errors that keep training from getting its rows: the table is absent, is not a packed table, uses a
 * Delta feature the direct Parquet reader cannot honour, or a data file of the pinned version cannot be read.
 * Unchecked, because a task can only fail with it; each subclass keeps the values it is about. Messages come from
 * {@link TrainDataErrors}.
 */
public abstract class TrainDataException extends TrainerException {
    TrainDataException(String message) {
        super(message);
    }

    TrainDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
