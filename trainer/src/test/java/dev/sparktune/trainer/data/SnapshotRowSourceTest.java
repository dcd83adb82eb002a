package dev.sparktune.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.preprocess.table.PackedTable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The task-side reader on hand-written Parquet files (no Spark): index arithmetic across files, files without
 * requested rows left unopened, and errors that name the file. Elements here are {@code required}, where Delta's
 * writes (PinnedSnapshotTest) make them {@code optional}: both layouts must read.
 */
class SnapshotRowSourceTest {
    private static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message spark_schema {
              required group input_ids (LIST) { repeated group list { required int32 element; } }
              required group labels (LIST) { repeated group list { required int32 element; } }
              required int32 num_tokens;
              required group doc_lens (LIST) { repeated group list { required int32 element; } }
              required binary split (STRING);
            }""");
    private static final Configuration CONF = new Configuration();

    @TempDir
    Path dir;

    /** One packed row: tokens {@code first, first+1, ...} in documents of {@code docLens}, every token trained. */
    private record Packed(String split, int first, int length, int[] docLens) {
        /** The whole row one document, as prep writes it. */
        Packed(String split, int first, int length) {
            this(split, first, length, new int[] {length});
        }

        int[] ids() {
            int[] ids = new int[length];
            Arrays.setAll(ids, i -> first + i);
            return ids;
        }
    }

    private URI write(String name, Packed... rows) throws IOException {
        Path file = dir.resolve(name);
        SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(file.toUri()))
                .withType(SCHEMA)
                .withConf(CONF)
                .build()) {
            for (Packed row : rows) {
                Group group = groups.newGroup();
                list(group.addGroup(PackedTable.INPUT_IDS), row.ids());
                list(group.addGroup(PackedTable.LABELS), row.ids());
                group.append(PackedTable.NUM_TOKENS, row.length());
                list(group.addGroup(PackedTable.DOC_LENS), row.docLens());
                group.append(PackedTable.SPLIT, row.split());
                writer.write(group);
            }
        }
        return file.toUri();
    }

    private static void list(Group list, int[] values) {
        for (int value : values) {
            list.addGroup("list").append("element", value);
        }
    }

    /** The reader of {@code split} over {@code files} of file:/tables/packed@7. */
    private static SnapshotRowSource source(String split, PinnedSnapshot.DataFile... files) {
        return new SnapshotRowSource(
                new PinnedSnapshot("file:/tables/packed", 7, split, 128, List.of(files), Map.of()), CONF);
    }

    @Test
    void indicesRunAcrossFilesInOrderOverTheSplitsRowsOnly() throws IOException {
        URI a = write("a.parquet", new Packed("train", 10, 3), new Packed("eval", 90, 2), new Packed("train", 20, 4));
        URI b = write("b.parquet", new Packed("eval", 80, 5));
        URI c = write("c.parquet", new Packed("train", 30, 2), new Packed("train", 40, 1));
        SnapshotRowSource source = source(
                "train",
                new PinnedSnapshot.DataFile(a, 2),
                new PinnedSnapshot.DataFile(b, 0),
                new PinnedSnapshot.DataFile(c, 2));
        assertEquals(4, source.size());

        Map<Long, TrainRow> rows = source.read(new long[] {0, 1, 2, 3});
        assertEquals(List.of(0L, 1L, 2L, 3L), new ArrayList<>(rows.keySet()));
        int[] firsts = {10, 20, 30, 40};
        for (int i = 0; i < firsts.length; i++) {
            TrainRow row = rows.get((long) i);
            assertEquals(firsts[i], row.inputIds()[0], "row " + i);
            assertArrayEquals(row.inputIds(), row.labels());
            assertArrayEquals(new int[] {row.numTokens()}, row.docLens());
        }
        TrainRow last = source.read(new long[] {3}).get(3L);
        assertArrayEquals(new int[] {40}, last.inputIds());

        SnapshotRowSource eval = source(
                "eval",
                new PinnedSnapshot.DataFile(a, 1),
                new PinnedSnapshot.DataFile(b, 1),
                new PinnedSnapshot.DataFile(c, 0));
        Map<Long, TrainRow> evalRows = eval.read(new long[] {0, 1});
        assertArrayEquals(new int[] {90, 91}, evalRows.get(0L).inputIds());
        assertArrayEquals(new int[] {80, 81, 82, 83, 84}, evalRows.get(1L).inputIds());
    }

    @Test
    void onlyFilesHoldingARequestedIndexAreOpened() throws IOException {
        URI a = write("a.parquet", new Packed("train", 10, 3));
        URI gone = dir.resolve("gone.parquet").toUri();
        SnapshotRowSource source = source(
                "train",
                new PinnedSnapshot.DataFile(a, 1),
                new PinnedSnapshot.DataFile(gone, 0),
                new PinnedSnapshot.DataFile(gone, 5));
        assertArrayEquals(
                new int[] {10, 11, 12}, source.read(new long[] {0}).get(0L).inputIds());
        var e = assertThrows(DataFileException.class, () -> source.read(new long[] {0, 1}));
        assertEquals(gone, e.file());
    }

    @Test
    void aMissingFileIsNamedWithTheVacuumHint() {
        URI gone = dir.resolve("part-00000-gone.snappy.parquet").toUri();
        SnapshotRowSource source = source("train", new PinnedSnapshot.DataFile(gone, 3));
        var e = assertThrows(DataFileException.class, () -> source.read(new long[] {1}));
        assertEquals(gone, e.file());
        assertEquals("file:/tables/packed", e.tablePath());
        assertEquals(7, e.version());
        assertTrue(e.getMessage().startsWith("cannot read " + gone + " of file:/tables/packed@7 ("), e.getMessage());
        assertTrue(
                e.getMessage()
                        .contains("probably removed by VACUUM or overwritten: re-run prep, or pin a version "
                                + "whose files still exist"),
                e.getMessage());
        assertTrue(e.getCause() instanceof FileNotFoundException, String.valueOf(e.getCause()));
    }

    @Test
    void aCorruptFileIsNamedWithTheVacuumHint() throws IOException {
        Path corrupt = Files.writeString(dir.resolve("corrupt.parquet"), "not parquet at all");
        SnapshotRowSource source = source("train", new PinnedSnapshot.DataFile(corrupt.toUri(), 1));
        var e = assertThrows(DataFileException.class, () -> source.read(new long[] {0}));
        assertEquals(corrupt.toUri(), e.file());
        assertTrue(
                e.getMessage().contains("is not a Parquet file")
                        && e.getMessage().contains("VACUUM"),
                e.getMessage());
    }

    @Test
    void aFileHoldingFewerRowsThanPinnedSaysItWasRewritten() throws IOException {
        URI a = write("a.parquet", new Packed("train", 10, 3), new Packed("eval", 20, 1));
        SnapshotRowSource source = source("train", new PinnedSnapshot.DataFile(a, 2));
        var e = assertThrows(DataFileException.class, () -> source.read(new long[] {1}));
        assertEquals(
                a + " of file:/tables/packed@7 holds 1 rows of split 'train' but held 2 when the snapshot was "
                        + "pinned: the file was rewritten in place; pin the table again",
                e.getMessage());
        assertNull(e.getCause());
    }

    @Test
    void aRowBreakingTheRowContractIsNamedByFileAndPosition() throws IOException {
        URI file = write("bad.parquet", new Packed("train", 1, 3, new int[] {2}));
        SnapshotRowSource source = source("train", new PinnedSnapshot.DataFile(file, 1));
        var e = assertThrows(DataFileException.class, () -> source.read(new long[] {0}));
        assertTrue(
                e.getMessage()
                        .startsWith("row 0 of split 'train' in " + file + " of file:/tables/packed@7 "
                                + "is not a valid packed row: doc_lens [2] sum to 2 but the row has 3 tokens"),
                e.getMessage());
    }

    @Test
    void theSnapshotValidatesWhatItIsBuiltFrom() {
        var split = assertThrows(
                IllegalArgumentException.class,
                () -> new PinnedSnapshot("file:/t", 0, "validation", 128, List.of(), Map.of()));
        assertEquals("split must be 'train' or 'eval', got 'validation'", split.getMessage());
        var rows = assertThrows(
                IllegalArgumentException.class, () -> new PinnedSnapshot.DataFile(URI.create("file:/t/a.parquet"), -1));
        assertEquals("splitRows must be >= 0, got -1 for file:/t/a.parquet", rows.getMessage());
        assertEquals(0, source("eval").size());
    }
}
