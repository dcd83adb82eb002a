package dev.sparktune.trainer.data;

/** A Delta table that breaks the packed-table contract: a column or table property is missing or malformed. */
public final class NotAPackedTableException extends TableVersionException {
    private final String subject;

    NotAPackedTableException(String tablePath, long version, String subject, String message) {
        super(tablePath, version, message, null);
        this.subject = subject;
    }

    /** The column or table property at fault. */
    public String subject() {
        return subject;
    }
}
