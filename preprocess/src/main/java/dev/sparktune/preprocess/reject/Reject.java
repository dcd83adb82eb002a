package dev.sparktune.preprocess.reject;

import java.io.Serializable;
import java.util.Objects;

/**
 * One rejected input record, as written to the rejects table.
 *
 * @param dataset  the dataset name (key of dataset_info.json, or the file name for a direct path)
 * @param file     the source file's full path/URI
 * @param locator  1-based line number (json lines), 0-based array index (json array) or 0-based row index (Parquet);
 *                 -1 when the whole file is rejected
 * @param record   the original record text (truncated to a few KB), or {@code null} if it was not readable
 * @param reason   machine-readable reason code
 * @param message  what is wrong (naming the field/turn) and what to do
 */
public record Reject(String dataset, String file, long locator, String record, RejectReason reason, String message)
        implements Serializable {
    public Reject {
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }
}
