package dev.sparktune.bench;

import java.util.Locale;

/** Cells of the markdown comparison tables the scale and DPO benches print. */
final class TableCells {
    private TableCells() {}

    /** Text for a markdown table cell: its pipes escaped. */
    static String cell(String text) {
        return text.replace("|", "\\|");
    }

    /** A figure in {@code format}, or a dash where it was not measured (NaN). */
    static String figure(String format, double value) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, format, value) : "—";
    }
}
