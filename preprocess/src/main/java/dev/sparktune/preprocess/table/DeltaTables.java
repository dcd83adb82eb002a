package dev.sparktune.preprocess.table;

import io.delta.tables.DeltaTable;
import io.delta.tables.DeltaTableBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Path-based Delta tables written idempotently: each prep run overwrites the table as a new version (older runs stay
 * readable by time travel), and Delta's idempotent-write options ({@code txnAppId}/{@code txnVersion}) make a retried
 * or repeated write of the same run a no-op instead of a duplicate version.
 */
public final class DeltaTables {
    private DeltaTables() {
    }

    public static boolean exists(SparkSession spark, String path) {
        return DeltaTable.isDeltaTable(spark, path);
    }

    /** The table's user properties (Delta's own {@code delta.*} left out); empty if there is no table. */
    public static Map<String, String> properties(SparkSession spark, String path) {
        if (!exists(spark, path)) {
            return Map.of();
        }
        Row detail = DeltaTable.forPath(spark, path).detail().select("properties").first();
        Map<String, String> all = detail.getJavaMap(0);
        return all.entrySet().stream()
                .filter(e -> !e.getKey().startsWith("delta."))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
    }

    public static long version(SparkSession spark, String path) {
        return DeltaTable.forPath(spark, path).history(1).select("version").first().getLong(0);
    }

    /** Creates the table with this schema and properties if absent; otherwise sets the properties that differ. */
    public static void ensure(SparkSession spark, String path, StructType schema, Map<String, String> properties) {
        if (!exists(spark, path)) {
            DeltaTableBuilder builder = DeltaTable.createIfNotExists(spark).location(path).addColumns(schema);
            for (Map.Entry<String, String> property : new TreeMap<>(properties).entrySet()) {
                builder = builder.property(property.getKey(), property.getValue());
            }
            builder.execute();
            return;
        }
        setProperties(spark, path, properties);
    }

    /** Sets the given properties in one commit, only those whose value differs (no empty commits). */
    public static void setProperties(SparkSession spark, String path, Map<String, String> properties) {
        Map<String, String> current = properties(spark, path);
        Map<String, String> changed = new TreeMap<>();
        properties.forEach((key, value) -> {
            if (!value.equals(current.get(key))) {
                changed.put(key, value);
            }
        });
        if (changed.isEmpty()) {
            return;
        }
        String assignments = changed.entrySet().stream()
                .map(e -> sqlString(e.getKey()) + " = " + sqlString(e.getValue()))
                .collect(Collectors.joining(", "));
        spark.sql("ALTER TABLE delta.`" + path.replace("`", "``") + "` SET TBLPROPERTIES (" + assignments + ")");
    }

    /**
     * Replaces the table's data with {@code data} as one new version, unless a write with the same
     * {@code runId} was already committed to this table (then nothing happens).
     *
     * @return true if this call committed a version
     */
    public static boolean overwriteOnce(SparkSession spark, String path, Dataset<Row> data, String runId) {
        long before = version(spark, path);
        data.write().format("delta").mode(SaveMode.Overwrite)
                .option("overwriteSchema", "true")
                .option("txnAppId", "sparktune-prep-" + runId)
                .option("txnVersion", 1L)
                .option("userMetadata", "sparktune prep run " + runId)
                .save(path);
        return version(spark, path) > before;
    }

    private static String sqlString(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
