package dev.sparktune.trainer.data;

/**
 * No Delta table at the path training was given (prep has not written it, or the path is wrong); {@link #tablePath()}
 * is the qualified path that holds none.
 */
public final class TableNotFoundException extends TrainDataException {
    TableNotFoundException(String tablePath, String message) {
        super(tablePath, message, null);
    }
}
