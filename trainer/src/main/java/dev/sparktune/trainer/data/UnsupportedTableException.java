package dev.sparktune.trainer.data;

/**
 * A packed table whose Parquet files do not hold its rows as they are (deletion vectors, column mapping,
 * partitioning): reading the files directly, as tasks do, would return other rows than Delta does.
 */
public final class UnsupportedTableException extends TableVersionException {
    private final String feature;

    UnsupportedTableException(String tablePath, long version, String feature, String message) {
        super(tablePath, version, message, null);
        this.feature = feature;
    }

    /** The Delta feature in use, e.g. {@code deletionVectors}. */
    public String feature() {
        return feature;
    }
}
