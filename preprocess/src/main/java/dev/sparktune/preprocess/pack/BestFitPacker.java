package dev.sparktune.preprocess.pack;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Best-fit-decreasing bin packing of whole documents into rows of at most {@code capacity} tokens: longest first,
 * each into the open row with the least room that still fits it (O(n log n) with a tree of remaining capacities).
 * BFD has first-fit-decreasing's worst case (11/9·OPT + 6/9 rows) and on real length distributions lands within a row of
 * ceil(tokens / capacity). Deterministic: ties are broken by document id.
 */
public final class BestFitPacker {
    private BestFitPacker() {}

    public static List<List<PackItem>> pack(List<PackItem> items, int capacity) {
        List<PackItem> sorted = new ArrayList<>(items);
        sorted.sort(Comparator.comparingInt(PackItem::length).reversed().thenComparingLong(PackItem::docId));
        List<List<PackItem>> rows = new ArrayList<>();
        // remaining capacity -> rows with exactly that much room (FIFO, so earlier rows fill first)
        TreeMap<Integer, ArrayDeque<List<PackItem>>> open = new TreeMap<>();
        for (PackItem item : sorted) {
            if (item.length() > capacity) {
                throw new IllegalArgumentException("document " + item.docId() + " has " + item.length()
                        + " tokens, more than the row capacity " + capacity);
            }
            Map.Entry<Integer, ArrayDeque<List<PackItem>>> best = open.ceilingEntry(item.length());
            List<PackItem> row;
            int room;
            if (best == null) {
                row = new ArrayList<>();
                rows.add(row);
                room = capacity;
            } else {
                room = best.getKey();
                row = best.getValue().pollFirst();
                if (best.getValue().isEmpty()) {
                    open.remove(room);
                }
            }
            row.add(item);
            int left = room - item.length();
            if (left > 0) {
                open.computeIfAbsent(left, k -> new ArrayDeque<>()).addLast(row);
            }
        }
        return rows;
    }
}
