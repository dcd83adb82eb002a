package dev.sparktune.preprocess.pack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.preprocess.encode.EncodedDocument;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

class RowPackerTest {
    private static EncodedDocument doc(long id, int length) {
        return doc(id, "ds", length);
    }

    private static EncodedDocument doc(long id, String dataset, int length) {
        int[] ids = new int[length];
        Arrays.fill(ids, (int) id);
        return new EncodedDocument(id, dataset, id * 0x9E3779B97F4A7C15L, ids, ids.clone(), false);
    }

    /** A readable trace of what a pass emitted, in order: groups, doc ids per row, released doc ids. */
    private static List<String> trace(Iterator<?> out) {
        List<String> t = new ArrayList<>();
        out.forEachRemaining(emitted -> {
            Object o = emitted instanceof RowPacker.FirstPass.Final f ? f.row() : emitted;
            if (o instanceof RowPacker.GroupedRow r) {
                t.add(r.split() + "/" + r.dataset() + " row "
                        + Arrays.toString(r.row().docIds()));
            } else {
                RowPacker.FirstPass.Released r = (RowPacker.FirstPass.Released) o;
                t.add(r.group() + " released " + r.item().docId());
            }
        });
        return t;
    }

    @Test
    void bothPassesEmitTheSameRowsInTheSameOrderWhateverOrderTheShuffleDelivers() {
        // the trainer numbers rows by their place in the table's files: a re-run of prep must not reorder them
        List<EncodedDocument> docs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            docs.add(doc(i, i % 3 == 0 ? "alpaca" : "sharegpt", 30 + (i * 37) % 400));
        }
        RowPacker packer = new RowPacker(512, EvalSplit.fraction(0.2));
        List<String> expected = trace(packer.packPartition(docs.iterator()));
        assertTrue(
                expected.stream().anyMatch(t -> t.startsWith("eval/alpaca"))
                        && expected.stream().anyMatch(t -> t.startsWith("train/sharegpt")),
                "four groups: " + expected);
        for (long seed = 1; seed <= 5; seed++) {
            List<EncodedDocument> shuffled = new ArrayList<>(docs);
            Collections.shuffle(shuffled, new Random(seed));
            assertEquals(expected, trace(packer.packPartition(shuffled.iterator())), "arrival order " + seed);
        }

        List<Tuple2<List<String>, Iterable<PackItem>>> groups = new ArrayList<>();
        for (String group : List.of("train/sharegpt", "eval/alpaca", "train/alpaca")) {
            List<PackItem> items = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                items.add(new PackItem(group.hashCode() * 100L + i, new int[40 + 23 * i], new int[40 + 23 * i]));
            }
            groups.add(new Tuple2<>(List.of(group.split("/")), items));
        }
        List<String> tail = trace(packer.packReleasedPartition(groups.iterator()));
        assertTrue(
                tail.get(0).startsWith("eval/alpaca")
                        && tail.get(tail.size() - 1).startsWith("train/sharegpt"),
                "groups in (split, dataset) order: " + tail);
        Collections.reverse(groups);
        assertEquals(tail, trace(packer.packReleasedPartition(groups.iterator())));
    }

    @Test
    void theFirstPassReleasesABoundedTailAndKeepsEveryDocumentOnce() {
        // mostly long documents (no two fit a row) plus a few short ones: nearly every row has room for a short one
        List<EncodedDocument> docs = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            docs.add(doc(i, 520 + (i * 7) % 80));
        }
        for (int i = 300; i < 310; i++) {
            docs.add(doc(i, 40));
        }
        RowPacker packer = new RowPacker(1024, EvalSplit.noEval());
        Set<Long> seen = new HashSet<>();
        long releasedTokens = 0;
        List<PackItem> released = new ArrayList<>();
        for (Iterator<RowPacker.FirstPass> it = packer.packPartition(docs.iterator()); it.hasNext(); ) {
            RowPacker.FirstPass pass = it.next();
            if (pass instanceof RowPacker.FirstPass.Final f) {
                assertTrue(f.row().row().numTokens() <= 1024);
                for (long id : f.row().row().docIds()) {
                    assertTrue(seen.add(id), "document " + id + " twice");
                }
            } else {
                PackItem item = ((RowPacker.FirstPass.Released) pass).item();
                assertTrue(seen.add(item.docId()), "document " + item.docId() + " twice");
                releasedTokens += item.length();
                released.add(item);
            }
        }
        assertEquals(310, seen.size());
        assertTrue(releasedTokens <= (long) RowPacker.RELEASE_ROWS * 1024, releasedTokens + " tokens released");
        packer.packReleased(List.of("train", "ds"), released)
                .forEachRemaining(row -> assertTrue(row.row().numTokens() <= 1024));
    }

    @Test
    void packingOffGivesOneRowPerDocumentInIdOrderWhateverTheArrivalOrderAndKeepsChunksInTextOrder() {
        List<EncodedDocument> docs = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            docs.add(doc(i, i % 2 == 0 ? "alpaca" : "sharegpt", 10 + i));
        }
        int[] longIds = new int[250];
        for (int i = 0; i < longIds.length; i++) {
            longIds[i] = i;
        }
        docs.add(new EncodedDocument(1000, "alpaca", 7L, longIds, longIds.clone(), false)); // three 100-token chunks
        RowPacker packer = new RowPacker(100, EvalSplit.noEval());
        List<RowPacker.GroupedRow> rows = new ArrayList<>();
        packer.rowPerDocument(docs.iterator()).forEachRemaining(rows::add);

        assertEquals(60 + 3, rows.size());
        List<String> expected = trace(rows.iterator());
        assertTrue(
                expected.get(0).equals("train/alpaca row [0]")
                        && expected.get(30).equals("train/alpaca row [1000]")
                        && expected.get(33).equals("train/sharegpt row [1]"),
                expected.toString());
        int[] rejoined = new int[250];
        for (int c = 0; c < 3; c++) {
            PackedRow chunk = rows.get(30 + c).row();
            assertEquals(c < 2 ? 100 : 50, chunk.numTokens());
            System.arraycopy(chunk.inputIds(), 0, rejoined, 100 * c, chunk.numTokens());
        }
        assertTrue(Arrays.equals(longIds, rejoined), "a long document's chunks in text order");
        for (long seed = 1; seed <= 3; seed++) {
            List<EncodedDocument> shuffled = new ArrayList<>(docs);
            Collections.shuffle(shuffled, new Random(seed));
            assertEquals(expected, trace(packer.rowPerDocument(shuffled.iterator())), "arrival order " + seed);
        }
    }
}
