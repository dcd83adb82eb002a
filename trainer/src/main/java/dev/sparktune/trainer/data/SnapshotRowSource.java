package dev.sparktune.trainer.data;

import dev.sparktune.preprocess.table.PackedTable;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.filter2.predicate.FilterApi;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.api.Binary;

/**
 * The rows of a {@link PinnedSnapshot}, read inside a Spark task straight from the version's Parquet files (no
 * SparkSession or Delta log there). Global index {@code i} is the i-th row of the split when the files are taken in
 * the snapshot's order and rows in file order, so it does not depend on how Spark would plan a scan.
 *
 * <p>A read opens only the files holding a requested index, decodes only the training columns, lets Parquet skip rows
 * of the other split (row-group statistics, then record filtering), streams records and stops after the last
 * requested one: memory holds the requested rows, not the files.
 */
public final class SnapshotRowSource implements RowSource {
    private final PinnedSnapshot snapshot;
    private final Configuration conf;
    /** [files + 1]: the global index of each file's first row of the split; the last entry is {@link #size()}. */
    private final long[] fileStarts;

    private final FilterCompat.Filter splitFilter;

    public SnapshotRowSource(PinnedSnapshot snapshot, Configuration conf) {
        this.snapshot = snapshot;
        this.conf = conf;
        List<PinnedSnapshot.DataFile> files = snapshot.files();
        fileStarts = new long[files.size() + 1];
        for (int f = 0; f < files.size(); f++) {
            fileStarts[f + 1] = fileStarts[f] + files.get(f).splitRows();
        }
        splitFilter = FilterCompat.get(
                FilterApi.eq(FilterApi.binaryColumn(PackedTable.SPLIT), Binary.fromString(snapshot.split())));
    }

    @Override
    public long size() {
        return fileStarts[fileStarts.length - 1];
    }

    @Override
    public Map<Long, TrainRow> read(long[] sortedIndices) {
        checkIndices(sortedIndices);
        Map<Long, TrainRow> rows = new LinkedHashMap<>();
        int from = 0;
        for (int f = 0; f < snapshot.files().size() && from < sortedIndices.length; f++) {
            int to = from;
            while (to < sortedIndices.length && sortedIndices[to] < fileStarts[f + 1]) {
                to++;
            }
            if (to > from) {
                readFile(f, sortedIndices, from, to, rows);
            }
            from = to;
        }
        return rows;
    }

    private void checkIndices(long[] sortedIndices) {
        for (int i = 0; i < sortedIndices.length; i++) {
            long index = sortedIndices[i];
            if (index < 0 || index >= size()) {
                throw new IllegalArgumentException("row index " + index + " (at position " + i + ") is outside [0, "
                        + size() + ") of " + snapshot);
            }
            if (i > 0 && index <= sortedIndices[i - 1]) {
                throw new IllegalArgumentException("row indices must be ascending and distinct: position " + i
                        + " holds " + index + " after " + sortedIndices[i - 1]);
            }
        }
    }

    /** Reads {@code indices[from, to)}, all within file {@code f}, into {@code out}. */
    private void readFile(int f, long[] indices, int from, int to, Map<Long, TrainRow> out) {
        PinnedSnapshot.DataFile file = snapshot.files().get(f);
        try (ParquetReader<Group> reader = ParquetReader.builder(
                        new PackedRowReadSupport(snapshot.holdsPairs()), new Path(file.uri()))
                .withConf(conf)
                .withFilter(splitFilter)
                .build()) {
            long position = -1; // of the last record read, among the file's rows of the split
            Group record = null;
            for (int i = from; i < to; i++) {
                long wanted = indices[i] - fileStarts[f];
                while (position < wanted) {
                    record = reader.read();
                    if (record == null) {
                        throw TrainDataErrors.fewerRows(snapshot, file.uri(), file.splitRows(), position + 1);
                    }
                    position++;
                }
                out.put(indices[i], toTrainRow(record, file, position));
            }
        } catch (TrainDataException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw TrainDataErrors.unreadable(snapshot, file.uri(), e);
        }
    }

    private TrainRow toTrainRow(Group record, PinnedSnapshot.DataFile file, long position) {
        try {
            int[] inputIds = ints(record, PackedTable.INPUT_IDS);
            int[] labels = ints(record, PackedTable.LABELS);
            int[] docLens = ints(record, PackedTable.DOC_LENS);
            return snapshot.holdsPairs()
                    ? new TrainRow(
                            inputIds,
                            labels,
                            docLens,
                            longs(record, PackedTable.DOC_IDS),
                            ints(record, PackedTable.DOC_ROLES))
                    : new TrainRow(inputIds, labels, docLens);
        } catch (RuntimeException e) {
            throw TrainDataErrors.invalidRow(snapshot, file.uri(), position, e);
        }
    }

    private static int[] ints(Group record, String column) {
        return elements(record, column).mapToInt(e -> e.getInteger(0, 0)).toArray();
    }

    private static long[] longs(Group record, String column) {
        return elements(record, column).mapToLong(e -> e.getLong(0, 0)).toArray();
    }

    /** A Spark array column: a LIST group whose one repeated group holds one element per value, in order. */
    private static Stream<Group> elements(Group record, String column) {
        Group list = record.getGroup(column, 0);
        return IntStream.range(0, list.getFieldRepetitionCount(0)).mapToObj(i -> list.getGroup(0, i));
    }
}
