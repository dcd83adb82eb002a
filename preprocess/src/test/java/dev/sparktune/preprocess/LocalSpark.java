package dev.sparktune.preprocess;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The SparkSession tests share, one per test class: local mode, UI off, few shuffle partitions, Delta enabled,
 * warehouse and scratch under the given directory.
 */
public final class LocalSpark {
    private LocalSpark() {}

    public static SparkSession start(String appName, Path scratch) {
        return SparkSession.builder()
                .appName(appName)
                .master("local[2]")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.default.parallelism", "2")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.warehouse.dir", scratch.resolve("warehouse").toString())
                .config("spark.local.dir", scratch.resolve("spark-local").toString())
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
                .config("spark.databricks.delta.snapshotPartitions", "2")
                .getOrCreate();
    }
}
