package dev.sparktune.preprocess.pack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BestFitPackerTest {

    private static PackItem item(long id, int length) {
        int[] ids = new int[length];
        int[] labels = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = (int) (id * 1000 + i);
            labels[i] = i % 2 == 0 ? -100 : ids[i];
        }
        return new PackItem(id, ids, labels);
    }

    @Test
    void everyDocumentExactlyOnceAndRowsWithinCapacity() {
        Random random = new Random(7);
        List<PackItem> items = new ArrayList<>();
        long tokens = 0;
        for (int i = 0; i < 5000; i++) {
            // alpaca-like: most short, a long tail
            int length = Math.min(
                    1024, 20 + (int) Math.abs(random.nextGaussian() * 180) + (random.nextInt(20) == 0 ? 600 : 0));
            items.add(item(i, length));
            tokens += length;
        }
        List<List<PackItem>> rows = BestFitPacker.pack(items, 1024);
        Set<Long> seen = new HashSet<>();
        for (List<PackItem> row : rows) {
            assertTrue(row.stream().mapToInt(PackItem::length).sum() <= 1024);
            for (PackItem item : row) {
                assertTrue(seen.add(item.docId()), "document " + item.docId() + " packed twice");
            }
        }
        assertEquals(items.size(), seen.size());
        long lowerBound = (tokens + 1023) / 1024;
        assertTrue(rows.size() <= lowerBound + 1, rows.size() + " rows for a lower bound of " + lowerBound);
    }

    @Test
    void rowRestartsPositionsPerDocumentAndKeepsLabelsAligned() {
        PackedRow row = PackedRow.of(List.of(item(1, 3), item(2, 2)));
        assertArrayEquals(new int[] {0, 1, 2, 0, 1}, row.positionIds());
        assertArrayEquals(new int[] {3, 2}, row.docLens());
        assertArrayEquals(new long[] {1, 2}, row.docIds());
        assertArrayEquals(new int[] {1000, 1001, 1002, 2000, 2001}, row.inputIds());
        assertArrayEquals(new int[] {-100, 1001, -100, -100, 2001}, row.labels());
        assertEquals(2, row.numSupervised());
    }

    @Test
    void deterministicForTheSameInputInAnyOrder() {
        List<PackItem> items = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            items.add(item(i, 10 + (i * 37) % 300));
        }
        List<PackItem> shuffled = new ArrayList<>(items);
        Collections.shuffle(shuffled, new Random(3));
        assertEquals(ids(BestFitPacker.pack(items, 512)), ids(BestFitPacker.pack(shuffled, 512)));
    }

    @Test
    void aDocumentLongerThanTheRowIsAnError() {
        var e = assertThrows(IllegalArgumentException.class, () -> BestFitPacker.pack(List.of(item(9, 20)), 10));
        assertTrue(e.getMessage().contains("document 9 has 20 tokens"), e.getMessage());
    }

    private static List<List<Long>> ids(List<List<PackItem>> rows) {
        return rows.stream().map(r -> r.stream().map(PackItem::docId).toList()).toList();
    }
}
