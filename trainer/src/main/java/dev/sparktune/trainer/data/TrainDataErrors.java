package dev.sparktune.trainer.data;

import java.net.URI;
import java.util.Arrays;
import java.util.Collection;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Writes the messages of this package's exceptions: each names the table (path@version) or file, what was found, what
 * the contract asks for, and what to do about it.
 */
final class TrainDataErrors {
    private static final String PREP_HINT = "write it with `sparktune prep` (prep.output_table = this path)";

    private TrainDataErrors() {}

    static TableNotFoundException tableNotFound(String tablePath) {
        return new TableNotFoundException(
                tablePath,
                "no Delta table at " + tablePath + " (it has no _delta_log): " + PREP_HINT + " first, or fix the path");
    }

    static VersionUnavailableException versionUnavailable(String tablePath, long version, Exception cause) {
        return new VersionUnavailableException(
                tablePath,
                version,
                tablePath + ": version " + version + ", the one the"
                        + " checkpoint being resumed was trained on, cannot be read any more (" + cause.getMessage()
                        + "). "
                        + "Restore that version, or start from scratch (train.overwrite_output_dir = true)",
                cause);
    }

    static VersionUnavailableException versionUnavailable(String tablePath, String key, long version, Exception cause) {
        return new VersionUnavailableException(
                tablePath,
                version,
                key + " = " + version + ": " + tablePath + " has no readable version " + version + " ("
                        + cause.getMessage() + "); set it to a version the table's history holds (DESCRIBE HISTORY), "
                        + "or -1 for the latest",
                cause);
    }

    static NotAPackedTableException missingColumn(
            String tablePath, long version, StructField expected, StructType actual) {
        String found = Arrays.stream(actual.fields())
                .map(f -> f.name() + " " + f.dataType().catalogString())
                .collect(Collectors.joining(", "));
        return new NotAPackedTableException(
                tablePath,
                version,
                expected.name(),
                tablePath + "@" + version
                        + " is not a SparkTune packed table: it has no column " + expected.name() + " of type "
                        + expected.dataType().catalogString() + " (its columns: " + found + "); " + PREP_HINT);
    }

    static NotAPackedTableException missingProperty(
            String tablePath, long version, String property, Collection<String> present) {
        return new NotAPackedTableException(
                tablePath,
                version,
                property,
                tablePath + "@" + version
                        + " is not a SparkTune packed table: it lacks the table property " + property
                        + " (its properties: " + new TreeSet<>(present) + "); " + PREP_HINT);
    }

    static NotAPackedTableException badSeqLen(String tablePath, long version, String property, String value) {
        return new NotAPackedTableException(
                tablePath,
                version,
                property,
                tablePath + "@" + version + " has " + property + " = '" + value + "', not a positive integer; "
                        + PREP_HINT + " again");
    }

    static UnsupportedTableException deletionVectors(String tablePath, long version, long filesWithVectors) {
        return new UnsupportedTableException(
                tablePath,
                version,
                "deletionVectors",
                tablePath + "@" + version + ": "
                        + filesWithVectors
                        + " data file(s) carry deletion vectors (rows deleted after the file was written); "
                        + "training reads the Parquet files directly and would bring those rows back. Run "
                        + "`REORG TABLE delta.`" + tablePath + "` APPLY (PURGE)` or " + PREP_HINT + " again");
    }

    static UnsupportedTableException columnMapping(String tablePath, long version, String property, String mode) {
        return new UnsupportedTableException(
                tablePath,
                version,
                "columnMapping",
                tablePath + "@" + version
                        + " uses column mapping (" + property + " = " + mode + "): its Parquet files name columns "
                        + "differently from the table, and training reads the files directly; " + PREP_HINT
                        + " into a new path");
    }

    static UnsupportedTableException partitioned(String tablePath, long version, Collection<String> columns) {
        return new UnsupportedTableException(
                tablePath,
                version,
                "partitioning",
                tablePath + "@" + version
                        + " is partitioned by " + columns
                        + ": partition values live in directory names, not in the Parquet "
                        + "files training reads; " + PREP_HINT + " (it writes unpartitioned tables)");
    }

    static DataFileException unreadable(PinnedSnapshot snapshot, URI file, Exception cause) {
        return new DataFileException(
                snapshot,
                file,
                "cannot read " + fileOf(snapshot, file) + " (" + cause + "). A missing or truncated file means this "
                        + "version's files were probably removed by VACUUM or overwritten: re-run prep, or pin a "
                        + "version whose files still exist",
                cause);
    }

    static DataFileException fewerRows(PinnedSnapshot snapshot, URI file, long expected, long found) {
        return new DataFileException(
                snapshot,
                file,
                fileOf(snapshot, file) + " holds " + found + " rows of split '" + snapshot.split() + "' but held "
                        + expected + " when the snapshot was pinned: the file was rewritten in place; pin the table "
                        + "again",
                null);
    }

    static DataFileException invalidRow(PinnedSnapshot snapshot, URI file, long position, RuntimeException cause) {
        return new DataFileException(
                snapshot,
                file,
                "row " + position + " of split '" + snapshot.split() + "' in " + fileOf(snapshot, file)
                        + " is not a valid packed row: " + cause.getMessage() + "; " + PREP_HINT + " again",
                cause);
    }

    /** How a data file is named in messages: with the table version it belongs to. */
    private static String fileOf(PinnedSnapshot snapshot, URI file) {
        return file + " of " + snapshot.path() + "@" + snapshot.version();
    }
}
