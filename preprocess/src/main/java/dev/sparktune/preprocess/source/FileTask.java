package dev.sparktune.preprocess.source;

import java.io.Serializable;
import java.util.Objects;

/**
 * One JSON file to read in one task.
 *
 * @param limit the most records to produce, or {@link Long#MAX_VALUE} for all
 */
record FileTask(String dataset, String file, FileFormat format, long limit) implements Serializable {
    FileTask {
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(format, "format");
        if (format == FileFormat.PARQUET) {
            throw new IllegalArgumentException("Parquet files are read by Spark's reader, not by a file task");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, got " + limit);
        }
    }

    FileTask withLimit(long newLimit) {
        return new FileTask(dataset, file, format, newLimit);
    }
}
