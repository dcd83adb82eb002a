package dev.sparktune.trainer.data;

import dev.sparktune.preprocess.table.PackedTable;
import java.util.Arrays;
import org.apache.spark.sql.Row;

/**
 * One row of the packed table as the trainer consumes it: unpadded {@code input_ids} and {@code labels} (HF-style,
 * aligned with the inputs, -100 = no loss) and the document lengths that partition them (position ids restart per
 * document, so they are implied). A table of preference pairs also gives each document's id (the key of its
 * reference log-probs) and role ({@link PackedTable#ROLE_CHOSEN} then {@link PackedTable#ROLE_REJECTED} per pair);
 * other rows leave the roles empty (training leaves the ids empty too; eval gives them, to sample its answers).
 */
public record TrainRow(int[] inputIds, int[] labels, int[] docLens, long[] docIds, int[] docRoles) {
    public TrainRow {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException(
                    "input_ids has " + inputIds.length + " tokens but labels " + labels.length);
        }
        long sum = 0;
        for (int len : docLens) {
            if (len <= 0) {
                throw new IllegalArgumentException("doc_lens must be positive, got " + Arrays.toString(docLens));
            }
            sum += len;
        }
        if (sum != inputIds.length) {
            throw new IllegalArgumentException("doc_lens " + Arrays.toString(docLens) + " sum to " + sum
                    + " but the row has " + inputIds.length + " tokens");
        }
        boolean pairs = docRoles.length > 0;
        if (pairs
                && (docRoles.length != docLens.length || docIds.length != docLens.length || docLens.length % 2 != 0)) {
            throw new IllegalArgumentException("a row of " + docLens.length + " documents has " + docIds.length
                    + " doc_ids and " + docRoles.length + " doc_roles; a row of pairs holds an even number of each");
        }
        for (int d = 0; d < docRoles.length; d++) {
            int expected = d % 2 == 0 ? PackedTable.ROLE_CHOSEN : PackedTable.ROLE_REJECTED;
            if (docRoles[d] != expected) {
                throw new IllegalArgumentException("doc_roles " + Arrays.toString(docRoles) + " are not chosen ("
                        + PackedTable.ROLE_CHOSEN + ") / rejected (" + PackedTable.ROLE_REJECTED + ") pairs, each "
                        + "chosen document followed by its rejected one");
            }
        }
    }

    /** A row of single documents. */
    public TrainRow(int[] inputIds, int[] labels, int[] docLens) {
        this(inputIds, labels, docLens, new long[0], new int[0]);
    }

    /**
     * A row Spark read from the packed table (eval, the reference pass; training reads the Parquet files itself), its
     * columns found by name: input_ids, labels, doc_lens, doc_ids, and doc_roles where they were selected (a table of
     * pairs). Other selected columns are the caller's.
     */
    public static TrainRow of(Row row) {
        boolean pairs = Arrays.asList(row.schema().fieldNames()).contains(PackedTable.DOC_ROLES);
        return new TrainRow(
                PackedTable.ints(row.getList(row.fieldIndex(PackedTable.INPUT_IDS))),
                PackedTable.ints(row.getList(row.fieldIndex(PackedTable.LABELS))),
                PackedTable.ints(row.getList(row.fieldIndex(PackedTable.DOC_LENS))),
                PackedTable.longs(row.getList(row.fieldIndex(PackedTable.DOC_IDS))),
                pairs ? PackedTable.ints(row.getList(row.fieldIndex(PackedTable.DOC_ROLES))) : new int[0]);
    }

    public int numTokens() {
        return inputIds.length;
    }

    /** Whether the row holds preference pairs (documents 2k and 2k+1 are pair k's chosen and rejected). */
    public boolean holdsPairs() {
        return docRoles.length > 0;
    }
}
