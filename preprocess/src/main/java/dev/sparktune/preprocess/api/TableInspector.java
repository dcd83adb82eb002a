package dev.sparktune.preprocess.api;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.sparktune.preprocess.PreprocessException;
import dev.sparktune.preprocess.encode.TokenizerCache;
import dev.sparktune.preprocess.encode.TokenizerFiles;
import dev.sparktune.preprocess.table.DeltaTables;
import dev.sparktune.preprocess.table.PackedTable;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What {@code sparktune inspect TABLE} prints: the table's properties and per-split statistics, then N rows decoded
 * document by document with the trained spans marked, which is how users check masking.
 */
public final class TableInspector {
    /** Marks around tokens that carry labels in the decoded view. */
    public static final String TRAIN_OPEN = "⟦";

    public static final String TRAIN_CLOSE = "⟧";

    private TableInspector() {}

    /**
     * @param modelPath the tokenizer's model directory, or {@code null} to use the one recorded in the table
     */
    public static String report(SparkSession spark, String table, int rows, String modelPath) {
        if (!DeltaTables.exists(spark, table)) {
            throw new PreprocessException(table + " is not a Delta table; give the output_table of a prep run");
        }
        Map<String, String> properties = DeltaTables.properties(spark, table);
        StringBuilder out = new StringBuilder();
        out.append("table ")
                .append(table)
                .append(" (version ")
                .append(DeltaTables.version(spark, table))
                .append(")\n");
        properties.forEach(
                (k, v) -> out.append("  ").append(k).append(" = ").append(v).append('\n'));

        Dataset<Row> data = spark.read().format("delta").load(table);
        int seqLen = Integer.parseInt(properties.getOrDefault(PackedTable.PROP_SEQ_LEN, "0"));
        List<Row> perSplit = data.groupBy(col(PackedTable.SPLIT))
                .agg(
                        count("*"),
                        sum(size(col(PackedTable.DOC_LENS))),
                        sum(col(PackedTable.NUM_TOKENS)),
                        sum(col(PackedTable.NUM_SUPERVISED)),
                        avg(col(PackedTable.NUM_TOKENS)))
                .orderBy(col(PackedTable.SPLIT))
                .collectAsList();
        out.append(String.format(
                "%-6s %10s %10s %14s %14s %10s%n", "split", "rows", "documents", "tokens", "supervised", "fill"));
        for (Row r : perSplit) {
            double fill = seqLen == 0 ? Double.NaN : r.getLong(3) / ((double) r.getLong(1) * seqLen);
            out.append(String.format(
                    "%-6s %10d %10d %14d %14d %9.2f%%%n",
                    r.getString(0), r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4), 100 * fill));
        }
        if (rows <= 0) {
            return out.toString();
        }
        String tokenizerDir = modelPath != null ? modelPath : properties.get(PackedTable.PROP_TOKENIZER_PATH);
        if (tokenizerDir == null) {
            throw new PreprocessException(table + " records no tokenizer path; pass the model directory");
        }
        TokenizerFiles files =
                TokenizerFiles.load(tokenizerDir, spark.sparkContext().hadoopConfiguration());
        String expectedSha = properties.get(PackedTable.PROP_TOKENIZER_SHA256);
        if (expectedSha != null && !expectedSha.equals(files.sha256())) {
            throw new PreprocessException("the tokenizer at " + tokenizerDir + " (sha256 " + files.sha256()
                    + ") is not the one this table was prepared with (" + PackedTable.PROP_TOKENIZER_SHA256 + " = "
                    + expectedSha + ")");
        }
        out.append("\nfirst ")
                .append(rows)
                .append(" rows; ")
                .append(TRAIN_OPEN)
                .append("…")
                .append(TRAIN_CLOSE)
                .append(" marks tokens with labels (trained), the rest is prompt/context\n");
        HuggingFaceTokenizer tokenizer = TokenizerCache.get(files);
        List<Row> sample = data.limit(rows).collectAsList();
        for (int i = 0; i < sample.size(); i++) {
            Row row = sample.get(i);
            int[] ids = PackedTable.ints(row.getList(row.fieldIndex(PackedTable.INPUT_IDS)));
            int[] labels = PackedTable.ints(row.getList(row.fieldIndex(PackedTable.LABELS)));
            int[] docLens = PackedTable.ints(row.getList(row.fieldIndex(PackedTable.DOC_LENS)));
            List<Long> docIds = row.getList(row.fieldIndex(PackedTable.DOC_IDS));
            out.append(String.format(
                    "%n--- row %d: split=%s source=%s tokens=%d supervised=%d documents=%d%n",
                    i,
                    row.getString(row.fieldIndex(PackedTable.SPLIT)),
                    row.getString(row.fieldIndex(PackedTable.SOURCE)),
                    ids.length,
                    row.getInt(row.fieldIndex(PackedTable.NUM_SUPERVISED)),
                    docLens.length));
            int at = 0;
            for (int d = 0; d < docLens.length; d++) {
                out.append(String.format("[doc %d id=%d tokens=%d]%n", d, docIds.get(d), docLens[d]));
                out.append(decodeMarked(
                                tokenizer,
                                Arrays.copyOfRange(ids, at, at + docLens[d]),
                                Arrays.copyOfRange(labels, at, at + docLens[d])))
                        .append('\n');
                at += docLens[d];
            }
        }
        return out.toString();
    }

    /** Decodes runs of equal "trained" status separately so the marks fall exactly on token boundaries. */
    static String decodeMarked(HuggingFaceTokenizer tokenizer, int[] ids, int[] labels) {
        StringBuilder out = new StringBuilder();
        int start = 0;
        while (start < ids.length) {
            boolean trained = labels[start] != -100;
            int end = start;
            while (end < ids.length && (labels[end] != -100) == trained) {
                end++;
            }
            long[] run = new long[end - start];
            for (int i = start; i < end; i++) {
                run[i - start] = ids[i];
            }
            String text = tokenizer.decode(run, false);
            out.append(trained ? TRAIN_OPEN + text + TRAIN_CLOSE : text);
            start = end;
        }
        return out.toString();
    }
}
