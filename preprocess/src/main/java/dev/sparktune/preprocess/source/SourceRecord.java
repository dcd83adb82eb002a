package dev.sparktune.preprocess.source;

import dev.sparktune.preprocess.reject.RejectReason;
import java.io.Serializable;
import java.util.Objects;

/**
 * One input record as read from a file, before conversion: its JSON text, or why it could not be read.
 *
 * @param dataset          the dataset name ({@link DatasetSpec#name()})
 * @param file             the file, as named in {@link DatasetSpec#files()}
 * @param locator          1-based line for JSON lines, 0-based element index for a JSON array, 0-based row for
 *                         Parquet; -1 when the record stands for the whole file (e.g. an unreadable file)
 * @param text             the record's JSON text, or {@code null} when it could not be read
 * @param readError        why the record could not be read, or {@code null} if it was
 * @param readErrorMessage what went wrong and where; {@code null} exactly when {@code readError} is
 */
public record SourceRecord(
        String dataset, String file, long locator, String text, RejectReason readError, String readErrorMessage)
        implements Serializable {
    public SourceRecord {
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(file, "file");
        if ((readError == null) != (readErrorMessage == null)) {
            throw new IllegalArgumentException(
                    "readError and readErrorMessage go together, got " + readError + " / " + readErrorMessage);
        }
        if (readError == null && text == null) {
            throw new IllegalArgumentException("a readable record needs its text (" + file + " @" + locator + ")");
        }
    }

    /** A record read fine. */
    public static SourceRecord of(String dataset, String file, long locator, String text) {
        return new SourceRecord(dataset, file, locator, text, null, null);
    }

    /** A record (or, with locator -1, a whole file) that could not be read. */
    public static SourceRecord failed(
            String dataset, String file, long locator, String text, RejectReason reason, String message) {
        return new SourceRecord(
                dataset,
                file,
                locator,
                text,
                Objects.requireNonNull(reason, "reason"),
                Objects.requireNonNull(message, "message"));
    }

    /** Whether the record was read and has JSON text to convert. */
    public boolean isReadable() {
        return readError == null;
    }
}
