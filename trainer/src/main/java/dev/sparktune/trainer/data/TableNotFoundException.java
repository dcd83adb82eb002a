package dev.sparktune.trainer.data;

/** No Delta table at the path training was given (prep has not written it, or the path is wrong). */
public final class TableNotFoundException extends TrainDataException {
    private final String tablePath;

    TableNotFoundException(String tablePath, String message) {
        super(message);
        this.tablePath = tablePath;
    }

    /** The qualified path that holds no Delta table. */
    public String tablePath() {
        return tablePath;
    }
}
