package dev.sparktune.preprocess.pack;

import dev.sparktune.preprocess.encode.EncodedDocument;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RowPackerTest {
    private static EncodedDocument doc(long id, int length) {
        int[] ids = new int[length];
        java.util.Arrays.fill(ids, 7);
        return new EncodedDocument(id, "ds", id * 0x9E3779B97F4A7C15L, ids, ids.clone(), false);
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
        RowPacker packer = new RowPacker(1024, true, EvalSplit.noEval());
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
}
