package dev.sparktune.trainer.data;

/** A Delta table that breaks the packed-table contract: a column or table property is missing or malformed. */
public final class NotAPackedTableException extends TrainDataException {
    private final String tablePath;
    private final long version;
    private final String subject;

    NotAPackedTableException(String tablePath, long version, String subject, String message) {
        super(message);
        this.tablePath = tablePath;
        this.version = version;
        this.subject = subject;
    }

    public String tablePath() {
        return tablePath;
    }

    public long version() {
        return version;
    }

    /** The column or table property at fault. */
    public String subject() {
        return subject;
    }
}
