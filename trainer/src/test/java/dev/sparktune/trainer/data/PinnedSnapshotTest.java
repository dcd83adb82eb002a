package dev.sparktune.trainer.data;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.preprocess.LocalSparkTestBase;
import dev.sparktune.preprocess.TestPrepConfig;
import dev.sparktune.preprocess.api.HadoopConfEntries;
import dev.sparktune.preprocess.api.PrepConfig;
import dev.sparktune.preprocess.api.PrepJob;
import dev.sparktune.preprocess.table.DeltaTables;
import dev.sparktune.preprocess.table.PackedTable;
import dev.sparktune.trainer.api.PreferenceConfig;
import dev.sparktune.trainer.eval.EvalConfig;
import dev.sparktune.trainer.eval.EvalJob;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pinning real prepared tables on local Spark + Delta and reading their rows the way tasks do: straight from the
 * Parquet files, in an order and with contents that match what Spark reads for the same version and split.
 */
class PinnedSnapshotTest extends LocalSparkTestBase {
    /** A space and a '%' in the table path: file paths are escaped in URIs and unescaped in Hadoop path strings. */
    static Path tables;

    static String table;
    static PinnedSnapshot train;
    static PinnedSnapshot eval;

    @BeforeAll
    static void prepare() throws IOException {
        tables = scratch.resolve("tables %41 x");
        table = prep("first", 40).outputs().table();
        train = PinnedSnapshot.pin(spark, table, PackedTable.SPLIT_TRAIN);
        eval = PinnedSnapshot.pin(spark, table, PackedTable.SPLIT_EVAL);
    }

    /** Prepares {@code docs} alpaca documents whose text starts with {@code word} into the shared table path. */
    private static PrepConfig prep(String word, int docs) throws IOException {
        Path dir = Files.createDirectories(scratch.resolve("input-" + word));
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < docs; i++) {
            json.append(i == 0 ? "" : ",")
                    .append("{\"instruction\": \"")
                    .append(word)
                    .append(' ')
                    .append(i)
                    .append("\", \"input\": \"\", \"output\": \"")
                    .append((word + i + " ").repeat(1 + i % 9))
                    .append("\"}");
        }
        Files.writeString(dir.resolve("docs.json"), json.append(']').toString());
        Files.writeString(dir.resolve("dataset_info.json"), "{\"docs\": {\"file_name\": \"docs.json\"}}");
        PrepConfig config = TestPrepConfig.of(dir, tables, "docs")
                .cutoffLen(128)
                .valSize(0.2)
                .build();
        PrepJob.run(spark, config);
        return config;
    }

    /**
     * The rows Spark reads for the snapshot's version and split, files in path order and rows in file order. Delta
     * 4.0.1 does not expose {@code _metadata.row_index}; a scan task reads each (small) file whole and in order, so
     * the id Spark numbers the scanned rows with orders the rows within a file.
     */
    private static List<String> sparkRows(PinnedSnapshot snapshot) {
        Dataset<Row> rows = spark.read()
                .format("delta")
                .option("versionAsOf", snapshot.version())
                .load(table)
                .withColumn("scan_order", monotonically_increasing_id())
                .where(col(PackedTable.SPLIT).equalTo(snapshot.split()))
                .orderBy(col("_metadata.file_path"), col("scan_order"))
                .select(col(PackedTable.INPUT_IDS), col(PackedTable.LABELS), col(PackedTable.DOC_LENS));
        return rows.collectAsList().stream()
                .map(r -> describe(ints(r, 0), ints(r, 1), ints(r, 2)))
                .toList();
    }

    private static int[] ints(Row row, int column) {
        return row.<Integer>getList(column).stream().mapToInt(Integer::intValue).toArray();
    }

    private static String describe(int[] inputIds, int[] labels, int[] docLens) {
        return "input_ids=" + Arrays.toString(inputIds) + " labels=" + Arrays.toString(labels) + " doc_lens="
                + Arrays.toString(docLens);
    }

    private static String describe(TrainRow row) {
        return describe(row.inputIds(), row.labels(), row.docLens());
    }

    private static List<String> readAll(PinnedSnapshot snapshot) {
        SnapshotRowSource source =
                new SnapshotRowSource(snapshot, spark.sparkContext().hadoopConfiguration());
        Map<Long, TrainRow> rows =
                source.read(LongStream.range(0, source.size()).toArray());
        assertEquals(LongStream.range(0, source.size()).boxed().toList(), new ArrayList<>(rows.keySet()));
        return rows.values().stream().map(PinnedSnapshotTest::describe).toList();
    }

    @Test
    void everyRowOfEachSplitReadsAsSparkReadsItInIndexOrder() {
        assertTrue(train.files().size() >= 2, "the test needs several files: " + train);
        assertTrue(train.files().stream().filter(f -> f.splitRows() > 0).count() >= 2, train.files()::toString);
        for (PinnedSnapshot snapshot : List.of(train, eval)) {
            List<String> expected = sparkRows(snapshot);
            assertTrue(expected.size() > 0, snapshot::toString);
            assertEquals(expected.size(), snapshot.rows());
            assertEquals(expected, readAll(snapshot), snapshot::toString);
        }
        assertEquals(
                train.files().stream().map(PinnedSnapshot.DataFile::uri).toList(),
                eval.files().stream().map(PinnedSnapshot.DataFile::uri).toList(),
                "both splits share the files");
    }

    @Test
    void pinningRecordsTheVersionItsPropertiesAndQualifiedFiles() {
        assertTrue(train.path().startsWith("file:/"), train.path());
        assertEquals(DeltaTables.qualify(spark, table), train.path());
        assertEquals(128, train.seqLen());
        assertEquals(
                DeltaTables.properties(spark, table).get(PackedTable.PROP_TOKENIZER_SHA256),
                train.properties().get(PackedTable.PROP_TOKENIZER_SHA256));
        for (PinnedSnapshot.DataFile file : train.files()) {
            assertEquals("file", file.uri().getScheme());
            assertTrue(file.uri().getRawPath().contains("tables%20%2541%20x/packed/part-"), file.uri()::toString);
            assertTrue(Files.isRegularFile(Path.of(file.uri())), file.uri()::toString);
        }
        assertEquals(
                train.path() + "@" + train.version() + " train: "
                        + train.files().size() + " files, " + train.rows() + " rows",
                train.toString());
    }

    @Test
    void aSubsetComesBackKeyedByItsIndices() {
        List<String> all = sparkRows(train);
        long last = all.size() - 1;
        long[] indices = {0, 3, 4, last - 1, last};
        Map<Long, TrainRow> rows =
                new SnapshotRowSource(train, spark.sparkContext().hadoopConfiguration()).read(indices);
        assertEquals(Arrays.stream(indices).boxed().toList(), new ArrayList<>(rows.keySet()));
        rows.forEach((index, row) -> assertEquals(all.get(index.intValue()), describe(row), "row " + index));
        assertEquals(
                Map.of(), new SnapshotRowSource(train, spark.sparkContext().hadoopConfiguration()).read(new long[0]));
    }

    @Test
    void indicesOutOfOrderOrRangeAreRejectedNamingThem() {
        SnapshotRowSource source =
                new SnapshotRowSource(train, spark.sparkContext().hadoopConfiguration());
        long size = source.size();
        var unsorted = assertThrows(IllegalArgumentException.class, () -> source.read(new long[] {0, 5, 2}));
        assertEquals("row indices must be ascending and distinct: position 2 holds 2 after 5", unsorted.getMessage());
        var repeated = assertThrows(IllegalArgumentException.class, () -> source.read(new long[] {1, 1}));
        assertTrue(repeated.getMessage().contains("position 1 holds 1 after 1"), repeated.getMessage());
        var beyond = assertThrows(IllegalArgumentException.class, () -> source.read(new long[] {0, size}));
        assertEquals(
                "row index " + size + " (at position 1) is outside [0, " + size + ") of " + train, beyond.getMessage());
        var negative = assertThrows(IllegalArgumentException.class, () -> source.read(new long[] {-1}));
        assertTrue(negative.getMessage().startsWith("row index -1 (at position 0) is outside"), negative.getMessage());
    }

    @Test
    void theSnapshotAndTheHadoopSettingsTravelToTasksThatReadTheRows() throws Exception {
        PinnedSnapshot snapshot = roundTrip(train);
        assertEquals(train, snapshot);
        assertEquals(train.toString(), snapshot.toString());
        HadoopConfEntries hadoop = roundTrip(HadoopConfEntries.fromSession(spark));
        long rows = snapshot.rows();
        // each of two real tasks reads every other row: the closure ships the snapshot and the settings only
        List<String> fromTasks = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(List.of(0, 1), 2)
                .flatMap(part -> new SnapshotRowSource(snapshot, hadoop.toConfiguration())
                                .read(LongStream.range(0, rows)
                                        .filter(i -> i % 2 == part)
                                        .toArray())
                                .entrySet()
                                .stream()
                                .map(e -> e.getKey() + " " + describe(e.getValue()))
                                .iterator())
                .collect();
        List<String> expected = sparkRows(train);
        Map<Long, String> byIndex = new TreeMap<>();
        for (String line : fromTasks) {
            byIndex.put(Long.parseLong(line.substring(0, line.indexOf(' '))), line.substring(line.indexOf(' ') + 1));
        }
        assertEquals(expected, new ArrayList<>(byIndex.values()));
        assertEquals(expected.size(), fromTasks.size());
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T value) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    @Test
    void aPinnedSnapshotKeepsReadingItsVersionAfterPrepReplacesTheTable() throws IOException {
        List<String> before = sparkRows(train);
        PinnedSnapshot old = PinnedSnapshot.pin(spark, table, PackedTable.SPLIT_TRAIN);
        prep("second", 30);
        PinnedSnapshot fresh = PinnedSnapshot.pin(spark, table, PackedTable.SPLIT_TRAIN);

        assertTrue(fresh.version() > old.version(), old + " then " + fresh);
        assertEquals(before, readAll(old), "the old snapshot still reads the old version's rows");
        assertEquals(before, readAll(train));
        List<String> after = readAll(fresh);
        assertEquals(sparkRows(fresh), after);
        assertNotEquals(before, after);
        assertTrue(new HashSet<>(before).stream().noneMatch(after::contains), "the new run shares no row");
        List<URI> oldFiles =
                old.files().stream().map(PinnedSnapshot.DataFile::uri).toList();
        assertTrue(
                fresh.files().stream().map(PinnedSnapshot.DataFile::uri).noneMatch(oldFiles::contains),
                "the new version has its own files");
    }

    @Test
    void aVersionThatCannotBeReadIsReportedAsWhatAskedForIt() {
        String path = DeltaTables.qualify(spark, table);
        var resumed = assertThrows(
                VersionUnavailableException.class, () -> PinnedSnapshot.pin(spark, table, PackedTable.SPLIT_TRAIN, 99));
        assertEquals(99, resumed.version());
        assertTrue(
                resumed.getMessage().startsWith(path + ": version 99, the one the checkpoint being resumed was trained")
                        && resumed.getMessage().contains("train.overwrite_output_dir = true"),
                resumed.getMessage());

        var keyed = assertThrows(
                VersionUnavailableException.class,
                () -> PinnedSnapshot.pin(spark, table, PackedTable.SPLIT_EVAL, "eval.table_version", 99));
        assertTrue(
                keyed.getMessage().startsWith("eval.table_version = 99: " + path + " has no readable version 99 (")
                        && keyed.getMessage()
                                .endsWith("; set it to a version the table's history holds (DESCRIBE "
                                        + "HISTORY), or -1 for the latest"),
                keyed.getMessage());
        assertEquals(
                PinnedSnapshot.pin(spark, table, PackedTable.SPLIT_EVAL).version(),
                PinnedSnapshot.pin(spark, table, PackedTable.SPLIT_EVAL, "eval.table_version", -1)
                        .version(),
                "-1 pins the latest");

        // eval pins by its key: its message named a resumed checkpoint, which eval has none of
        String model = scratch.resolve("no model: the version fails first").toString();
        EvalConfig config = new EvalConfig(
                model,
                "",
                table,
                99,
                0,
                false,
                4,
                1,
                false,
                1,
                1,
                0,
                0,
                "",
                64,
                PreferenceConfig.defaults().withReferenceOf(model));
        var eval = assertThrows(VersionUnavailableException.class, () -> EvalJob.run(spark, config));
        assertTrue(eval.getMessage().startsWith("eval.table_version = 99: " + path), eval.getMessage());
        assertFalse(eval.getMessage().contains("checkpoint"), eval.getMessage());
    }

    @Test
    void aMissingTableFailsNamingThePathAndPrep() {
        String missing = scratch.resolve("nothing here").toString();
        var e = assertThrows(
                TableNotFoundException.class, () -> PinnedSnapshot.pin(spark, missing, PackedTable.SPLIT_TRAIN));
        assertEquals(DeltaTables.qualify(spark, missing), e.tablePath());
        assertTrue(e.getMessage().startsWith("no Delta table at " + e.tablePath()), e.getMessage());
        assertTrue(e.getMessage().contains("sparktune prep"), e.getMessage());
        var split = assertThrows(IllegalArgumentException.class, () -> PinnedSnapshot.pin(spark, table, "test"));
        assertEquals("split must be 'train' or 'eval', got 'test'", split.getMessage());
    }

    @Test
    void aDeltaTableThatIsNotAPackedTableFailsNamingWhatIsMissing() {
        String other = scratch.resolve("plain").toString();
        spark.range(3).toDF("id").write().format("delta").save(other);
        var noColumns = assertThrows(
                NotAPackedTableException.class, () -> PinnedSnapshot.pin(spark, other, PackedTable.SPLIT_TRAIN));
        assertEquals(PackedTable.INPUT_IDS, noColumns.subject());
        assertTrue(
                noColumns
                        .getMessage()
                        .contains("is not a SparkTune packed table: it has no column input_ids of "
                                + "type array<int> (its columns: id bigint)"),
                noColumns.getMessage());

        // the right rows without prep's properties (a plain copy of the data)
        String copy = scratch.resolve("copy").toString();
        packedRows().write().format("delta").save(copy);
        var noProperties = assertThrows(
                NotAPackedTableException.class, () -> PinnedSnapshot.pin(spark, copy, PackedTable.SPLIT_TRAIN));
        assertEquals(PackedTable.PROP_TOKENIZER_SHA256, noProperties.subject());
        assertEquals(0, noProperties.version());
        assertTrue(
                noProperties
                        .getMessage()
                        .startsWith(DeltaTables.qualify(spark, copy) + "@0 is not a SparkTune "
                                + "packed table: it lacks the table property sparktune.tokenizer.sha256"),
                noProperties.getMessage());
    }

    private static Dataset<Row> packedRows() {
        return spark.read()
                .format("delta")
                .option("versionAsOf", train.version())
                .load(table);
    }

    private static Map<String, String> sparktuneProperties() {
        return train.properties().entrySet().stream()
                .filter(e -> e.getKey().startsWith("sparktune."))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    @Test
    void deletionVectorsAndColumnMappingAreRefusedNamingTheFeature() {
        Map<String, String> dvProperties = new TreeMap<>(sparktuneProperties());
        dvProperties.put("delta.enableDeletionVectors", "true");
        String withDv = scratch.resolve("with-dv").toString();
        List<Row> two = packedRows().limit(2).collectAsList();
        DeltaTables.replace(
                spark, withDv, spark.createDataFrame(two, PackedTable.SCHEMA).coalesce(1), dvProperties);
        PinnedSnapshot.pin(spark, withDv, PackedTable.SPLIT_TRAIN); // the table feature alone changes no row
        // deleting one of a file's two rows marks it in a deletion vector instead of rewriting the file
        spark.sql("DELETE FROM delta.`" + DeltaTables.qualify(spark, withDv) + "` WHERE " + PackedTable.DOC_IDS
                + "[0] = "
                + two.get(0).getList(two.get(0).fieldIndex(PackedTable.DOC_IDS)).get(0));
        var dv = assertThrows(
                UnsupportedTableException.class, () -> PinnedSnapshot.pin(spark, withDv, PackedTable.SPLIT_TRAIN));
        assertEquals("deletionVectors", dv.feature());
        assertTrue(dv.getMessage().contains("@1: 1 data file(s) carry deletion vectors"), dv.getMessage());

        Map<String, String> mappedProperties = new TreeMap<>(sparktuneProperties());
        mappedProperties.put("delta.columnMapping.mode", "name");
        String mapped = scratch.resolve("mapped").toString();
        DeltaTables.replace(spark, mapped, spark.createDataFrame(List.of(), PackedTable.SCHEMA), mappedProperties);
        var mapping = assertThrows(
                UnsupportedTableException.class, () -> PinnedSnapshot.pin(spark, mapped, PackedTable.SPLIT_TRAIN));
        assertEquals("columnMapping", mapping.feature());
        assertEquals(DeltaTables.qualify(spark, mapped), mapping.tablePath());
        assertTrue(
                mapping.getMessage().contains("uses column mapping (delta.columnMapping.mode = name)"),
                mapping.getMessage());
    }
}
