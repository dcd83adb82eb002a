package dev.sparktune.preprocess.table;

import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.DataFrameWriterV2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Path-based Delta tables that a prep run replaces as a whole: each run is ONE atomic commit of the data together
 * with all its table properties (tokenizer, seq_len, run fingerprint, stats), so no reader, crash or concurrent run
 * can ever see one run's rows under another run's properties. Older runs stay readable by time travel.
 */
public final class DeltaTables {
    private DeltaTables() {}

    public static boolean exists(SparkSession spark, String path) {
        return DeltaTable.isDeltaTable(spark, path);
    }

    /** The table's user properties at its latest version (Delta's own {@code delta.*} left out); empty if none. */
    public static Map<String, String> properties(SparkSession spark, String path) {
        if (!exists(spark, path)) {
            return Map.of();
        }
        Row detail =
                DeltaTable.forPath(spark, path).detail().select("properties").first();
        Map<String, String> all = detail.getJavaMap(0);
        return all.entrySet().stream()
                .filter(e -> !e.getKey().startsWith("delta."))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
    }

    public static long version(SparkSession spark, String path) {
        return DeltaTable.forPath(spark, path)
                .history(1)
                .select("version")
                .first()
                .getLong(0);
    }

    /**
     * Replaces the table's data, schema and properties in one commit ({@code CREATE OR REPLACE TABLE ... AS SELECT}
     * on the path), creating the table if absent.
     *
     * @return the version committed
     */
    public static long replace(SparkSession spark, String path, Dataset<Row> data, Map<String, String> properties) {
        // a delta.`path` identifier must be absolute, or Spark reads it as table `path` in a schema named delta
        String qualified = qualify(spark, path);
        DataFrameWriterV2<Row> writer =
                data.writeTo("delta.`" + qualified.replace("`", "``") + "`").using("delta");
        for (Map.Entry<String, String> property : new TreeMap<>(properties).entrySet()) {
            writer = writer.tableProperty(property.getKey(), property.getValue());
        }
        writer.createOrReplace();
        return version(spark, path);
    }

    /** The path made absolute and given its file system's scheme (a relative path resolves against the cwd). */
    public static String qualify(SparkSession spark, String path) {
        Path p = new Path(path);
        try {
            return p.getFileSystem(spark.sparkContext().hadoopConfiguration())
                    .makeQualified(p)
                    .toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve the table path " + path + ": " + e.getMessage(), e);
        }
    }
}
