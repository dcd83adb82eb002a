package dev.sparktune.pipeline.config;

import java.util.Map;
import java.util.Objects;

/**
 * The {@code sparktune.spark} section.
 *
 * @param master  Spark master to use when spark-submit has not set one
 * @param appName application name to use when spark-submit has not set one
 * @param conf    extra Spark settings, flat keys ({@code spark.hadoop.fs.s3a.endpoint}) to string values
 */
public record SparkSettings(String master, String appName, Map<String, String> conf) {

    public SparkSettings {
        Objects.requireNonNull(master, "master");
        Objects.requireNonNull(appName, "appName");
        conf = Map.copyOf(conf);
        if (master.isBlank()) {
            throw new IllegalArgumentException("spark.master must not be blank");
        }
        if (appName.isBlank()) {
            throw new IllegalArgumentException("spark.app_name must not be blank");
        }
    }
}
