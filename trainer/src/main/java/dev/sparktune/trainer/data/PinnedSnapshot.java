package dev.sparktune.trainer.data;

import static org.apache.spark.sql.functions.col;

import dev.sparktune.preprocess.table.DeltaTables;
import dev.sparktune.preprocess.table.PackedTable;
import java.io.Serializable;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.Snapshot;
import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

/**
 * One version of a packed table and one of its splits, fixed on the driver before training starts, so that later
 * prep runs or other writes to the table never change what a run (or its resume) trains on. It lists the version's
 * Parquet files with the number of rows of the split in each, which is all a task needs to find global row {@code i}
 * without Spark or the Delta log ({@link SnapshotRowSource}). Serializable: it is shipped to every task.
 *
 * @param path       the table's fully qualified path
 * @param version    the Delta version pinned
 * @param split      {@link PackedTable#SPLIT_TRAIN} or {@link PackedTable#SPLIT_EVAL}
 * @param seqLen     the table's {@link PackedTable#PROP_SEQ_LEN}: no row is longer
 * @param files      the version's data files, ordered by URI; their rows of the split, in file order, are the
 *                   split's rows in global-index order
 * @param properties the version's table properties
 */
public record PinnedSnapshot(
        String path, long version, String split, int seqLen, List<DataFile> files, Map<String, String> properties)
        implements Serializable {

    /**
     * One Parquet file of the pinned version.
     *
     * @param uri       the file's fully qualified URI (escaped: open it with {@code new Path(uri)}, never by its string)
     * @param splitRows how many of its rows belong to the pinned split
     */
    public record DataFile(URI uri, long splitRows) implements Serializable {
        public DataFile {
            Objects.requireNonNull(uri, "uri");
            if (splitRows < 0) {
                throw new IllegalArgumentException("splitRows must be >= 0, got " + splitRows + " for " + uri);
            }
        }
    }

    public PinnedSnapshot {
        Objects.requireNonNull(path, "path");
        requireSplit(split);
        if (version < 0) {
            throw new IllegalArgumentException("version must be >= 0, got " + version);
        }
        if (seqLen <= 0) {
            throw new IllegalArgumentException("seqLen must be positive, got " + seqLen);
        }
        files = List.copyOf(files);
        properties = Collections.unmodifiableMap(new TreeMap<>(properties));
    }

    /**
     * Pins the latest version of the packed table at {@code tablePath} for {@code split}.
     *
     * @throws TableNotFoundException     no Delta table at the path
     * @throws NotAPackedTableException   a contract column or property is missing or malformed
     * @throws UnsupportedTableException  the version's files do not hold its rows as they are
     */
    public static PinnedSnapshot pin(SparkSession spark, String tablePath, String split) {
        requireSplit(split);
        String path = DeltaTables.qualify(spark, tablePath);
        // one snapshot object for version, schema, properties and protocol, so all describe the same version
        Snapshot snapshot = DeltaLog.forTableWithSnapshot(spark, path)._2();
        if (snapshot.version() < 0) {
            throw TrainDataErrors.tableNotFound(path);
        }
        return of(spark, path, snapshot, split);
    }

    /**
     * Pins version {@code version} of the packed table (a resumed run trains on the version its checkpoint names,
     * whatever was committed since).
     *
     * @throws VersionUnavailableException the version cannot be read any more (log or files cleaned up)
     */
    public static PinnedSnapshot pin(SparkSession spark, String tablePath, String split, long version) {
        return pin(spark, tablePath, split, version, (path, e) -> TrainDataErrors.versionUnavailable(path, version, e));
    }

    /**
     * Pins the version the config key {@code key} asks for (eval.table_version, train.ref_logprobs_table_version):
     * {@code version}, or the latest when it is -1.
     *
     * @throws VersionUnavailableException naming the key, when that version cannot be read
     */
    public static PinnedSnapshot pin(SparkSession spark, String tablePath, String split, String key, long version) {
        return version < 0
                ? pin(spark, tablePath, split)
                : pin(
                        spark,
                        tablePath,
                        split,
                        version,
                        (path, e) -> TrainDataErrors.versionUnavailable(path, key, version, e));
    }

    private static PinnedSnapshot pin(
            SparkSession spark,
            String tablePath,
            String split,
            long version,
            BiFunction<String, RuntimeException, VersionUnavailableException> unavailable) {
        requireSplit(split);
        String path = DeltaTables.qualify(spark, tablePath);
        DeltaLog log = DeltaLog.forTableWithSnapshot(spark, path)._1();
        if (log.unsafeVolatileSnapshot().version() < 0) {
            throw TrainDataErrors.tableNotFound(path);
        }
        Snapshot snapshot;
        try {
            snapshot = log.getSnapshotAt(version, Option.empty(), Option.empty());
        } catch (RuntimeException e) {
            throw unavailable.apply(path, e);
        }
        return of(spark, path, snapshot, split);
    }

    private static PinnedSnapshot of(SparkSession spark, String path, Snapshot snapshot, String split) {
        Map<String, String> properties =
                CollectionConverters.asJava(snapshot.metadata().configuration());
        int seqLen = PackedTableContract.verify(path, snapshot, properties);
        return new PinnedSnapshot(
                path, snapshot.version(), split, seqLen, dataFiles(spark, path, snapshot.version(), split), properties);
    }

    /** Whether the table holds preference pairs (prep's stage dpo): each row's doc_roles name the pairs' parts. */
    public boolean holdsPairs() {
        return PackedTable.STAGE_DPO.equals(properties.get(PackedTable.PROP_STAGE));
    }

    /** Rows of the split across all files. */
    public long rows() {
        return files.stream().mapToLong(DataFile::splitRows).sum();
    }

    @Override
    public String toString() {
        return path + "@" + version + " " + split + ": " + files.size() + " files, " + rows() + " rows";
    }

    /**
     * The version's files with their row counts of the split. {@code inputFiles()} gives Hadoop path strings
     * (unescaped) and {@code _metadata.file_path} gives escaped URIs: both are parsed into {@link Path}s to match.
     */
    private static List<DataFile> dataFiles(SparkSession spark, String path, long version, String split) {
        Dataset<Row> data =
                spark.read().format("delta").option("versionAsOf", version).load(path);
        Map<Path, Long> counts = new HashMap<>();
        for (Row row : data.where(col(PackedTable.SPLIT).equalTo(split))
                .groupBy(col("_metadata.file_path"))
                .count()
                .collectAsList()) {
            counts.put(new Path(URI.create(row.getString(0))), row.getLong(1));
        }
        List<DataFile> files = new ArrayList<>();
        Set<Path> listed = new HashSet<>();
        for (String file : data.inputFiles()) {
            Path filePath = new Path(file);
            listed.add(filePath);
            files.add(new DataFile(filePath.toUri(), counts.getOrDefault(filePath, 0L)));
        }
        if (!listed.containsAll(counts.keySet())) {
            throw new IllegalStateException("Spark read rows of " + path + "@" + version + " from files Delta does "
                    + "not list: " + counts.keySet() + " vs " + listed);
        }
        files.sort(Comparator.comparing(f -> f.uri().toString()));
        return files;
    }

    private static void requireSplit(String split) {
        if (!PackedTable.SPLIT_TRAIN.equals(split) && !PackedTable.SPLIT_EVAL.equals(split)) {
            throw new IllegalArgumentException("split must be '" + PackedTable.SPLIT_TRAIN + "' or '"
                    + PackedTable.SPLIT_EVAL + "', got '" + split + "'");
        }
    }
}
