package dev.sparktune.preprocess.pack;

import dev.sparktune.preprocess.encode.EncodedDocument;
import dev.sparktune.preprocess.table.PackedTable;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import scala.Tuple2;

/**
 * Turns documents into table rows, per (split, dataset) group: one row per document ({@link #rowPerDocument}, packing
 * off), or best-fit-decreasing packing into rows of at most {@code cutoffLen} tokens. Pre-training documents longer
 * than cutoffLen are first cut into cutoffLen chunks (each chunk attends only to itself; positions restart).
 *
 * <p>Packing runs in two passes so the partition count does not cost rows: each partition packs its documents and
 * keeps the rows nothing more could have filled; the documents of its emptiest other rows (the partial tail: rows
 * with room for the group's shortest document, at most {@link #RELEASE_ROWS} rows' worth of tokens) are released and
 * packed again together, one task per group.
 *
 * <p>Both passes emit rows in an order fixed by the documents alone (groups in {@link #GROUP_ORDER}, documents by
 * length and id), never by the order a shuffle delivers them: the trainer numbers rows by their place in the table's
 * files, so a re-run of prep on the same input must write the same rows in the same order for training to repeat.
 */
public final class RowPacker implements Serializable {
    /** Per partition and group, the first pass releases at most this many rows' worth of tokens. */
    static final int RELEASE_ROWS = 2;
    /** (split, dataset) groups in split then dataset name order. */
    static final Comparator<List<String>> GROUP_ORDER =
            Comparator.<List<String>, String>comparing(g -> g.get(0)).thenComparing(g -> g.get(1));

    private final int cutoffLen;
    private final EvalSplit split;

    public RowPacker(int cutoffLen, EvalSplit split) {
        this.cutoffLen = cutoffLen;
        this.split = split;
    }

    /** A packed row and the (split, dataset) group it belongs to. */
    public record GroupedRow(String split, String dataset, PackedRow row) implements Serializable {}

    /** What the first pass yields: a final row, or a document released to the second pass. */
    public sealed interface FirstPass extends Serializable {
        record Final(GroupedRow row) implements FirstPass {}

        record Released(List<String> group, PackItem item) implements FirstPass {}
    }

    public String splitOf(EncodedDocument doc) {
        return split.isEval(doc.contentHash()) ? PackedTable.SPLIT_EVAL : PackedTable.SPLIT_TRAIN;
    }

    /**
     * Packing off: every document (every chunk of a long pre-training document) is its own row, and there is no
     * second pass, so a partition's rows are final where they were encoded (no shuffle). Groups in
     * {@link #GROUP_ORDER}, documents by id, chunks in text order.
     */
    public Iterator<GroupedRow> rowPerDocument(Iterator<EncodedDocument> documents) {
        List<GroupedRow> out = new ArrayList<>();
        groups(documents).forEach((group, items) -> {
            items.sort(Comparator.comparingLong(PackItem::docId)); // stable: a document's chunks stay in order
            items.forEach(item -> out.add(row(group, List.of(item))));
        });
        return out.iterator();
    }

    /** First packing pass over one partition's documents. */
    public Iterator<FirstPass> packPartition(Iterator<EncodedDocument> documents) {
        List<FirstPass> out = new ArrayList<>();
        groups(documents).forEach((group, items) -> {
            int shortest = items.stream().mapToInt(PackItem::length).min().orElse(0);
            List<List<PackItem>> open = new ArrayList<>();
            for (List<PackItem> bin : BestFitPacker.pack(items, cutoffLen)) {
                if (cutoffLen - tokens(bin) >= shortest) {
                    open.add(bin);
                } else {
                    out.add(new FirstPass.Final(row(group, bin)));
                }
            }
            // Release the emptiest open rows, at most RELEASE_ROWS rows' worth of tokens: enough to merge the
            // partition's tail, and a bound on what the one second-pass task per group must hold (with mostly
            // long documents nearly every row is "open", and releasing them all would move the group to one task).
            open.sort(Comparator.comparingInt(RowPacker::tokens));
            long released = 0;
            for (List<PackItem> bin : open) {
                if (released + tokens(bin) <= (long) RELEASE_ROWS * cutoffLen) {
                    released += tokens(bin);
                    bin.forEach(item -> out.add(new FirstPass.Released(group, item)));
                } else {
                    out.add(new FirstPass.Final(row(group, bin)));
                }
            }
        });
        return out.iterator();
    }

    /**
     * Second pass over one partition of the released documents grouped by (split, dataset): groups in
     * {@link #GROUP_ORDER}, whatever order the shuffle delivered them in.
     */
    public Iterator<GroupedRow> packReleasedPartition(Iterator<Tuple2<List<String>, Iterable<PackItem>>> groups) {
        List<Tuple2<List<String>, Iterable<PackItem>>> sorted = new ArrayList<>();
        groups.forEachRemaining(sorted::add);
        sorted.sort(Comparator.comparing(Tuple2::_1, GROUP_ORDER));
        List<GroupedRow> out = new ArrayList<>();
        for (Tuple2<List<String>, Iterable<PackItem>> group : sorted) {
            packReleased(group._1(), group._2()).forEachRemaining(out::add);
        }
        return out.iterator();
    }

    /** Second pass: the released documents of one group, all rows final. */
    public Iterator<GroupedRow> packReleased(List<String> group, Iterable<PackItem> released) {
        List<PackItem> items = new ArrayList<>();
        released.forEach(items::add);
        return BestFitPacker.pack(items, cutoffLen).stream()
                .map(bin -> row(group, bin))
                .iterator();
    }

    private Map<List<String>, List<PackItem>> groups(Iterator<EncodedDocument> documents) {
        Map<List<String>, List<PackItem>> groups = new TreeMap<>(GROUP_ORDER);
        while (documents.hasNext()) {
            EncodedDocument doc = documents.next();
            chunks(doc, groups.computeIfAbsent(List.of(splitOf(doc), doc.dataset()), k -> new ArrayList<>()));
        }
        return groups;
    }

    private static int tokens(List<PackItem> bin) {
        return bin.stream().mapToInt(PackItem::length).sum();
    }

    private static GroupedRow row(List<String> group, List<PackItem> items) {
        return new GroupedRow(group.get(0), group.get(1), PackedRow.of(items));
    }

    private void chunks(EncodedDocument doc, List<PackItem> out) {
        int[] ids = doc.inputIds();
        if (ids.length <= cutoffLen) {
            out.add(new PackItem(doc.docId(), ids, doc.labels(), doc.pair(), doc.chosenLength()));
            return;
        }
        if (doc.pair()) {
            throw new IllegalStateException("a pair of " + ids.length + " tokens exceeds the row length " + cutoffLen);
        }
        for (int from = 0; from < ids.length; from += cutoffLen) {
            int to = Math.min(from + cutoffLen, ids.length);
            out.add(new PackItem(
                    doc.docId(), Arrays.copyOfRange(ids, from, to), Arrays.copyOfRange(doc.labels(), from, to)));
        }
    }
}
