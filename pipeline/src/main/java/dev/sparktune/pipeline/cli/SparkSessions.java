package dev.sparktune.pipeline.cli;

import dev.sparktune.pipeline.config.SparkSettings;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import org.apache.spark.sql.SparkSession;

/** Starts the SparkSession a verb runs on, with Delta enabled and spark-submit's settings respected. */
final class SparkSessions {
    static final String DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension";
    static final String DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog";

    private SparkSessions() {}

    /**
     * The settings to give the session builder. spark-submit passes its settings as {@code spark.*} system properties,
     * which SparkConf reads itself: the configured master is used only when no {@code spark.master} system property is
     * set, and the configured app name only when spark-submit did not get {@code --name} (it then sets the main class
     * name). Delta's extension is appended to any configured {@code spark.sql.extensions}; a configured
     * {@code spark_catalog} is kept.
     */
    static Map<String, String> sessionConf(SparkSettings settings, Properties systemProperties) {
        Map<String, String> conf = new LinkedHashMap<>(settings.conf());
        if (systemProperties.getProperty("spark.master") == null) {
            conf.putIfAbsent("spark.master", settings.master());
        } else {
            conf.remove("spark.master");
        }
        String submittedName = systemProperties.getProperty("spark.app.name");
        if (submittedName == null || submittedName.equals(SparkTuneCli.class.getName())) {
            conf.putIfAbsent("spark.app.name", settings.appName());
        }
        String extensions =
                conf.getOrDefault("spark.sql.extensions", systemProperties.getProperty("spark.sql.extensions", ""));
        if (!extensions.contains(DELTA_EXTENSION)) {
            conf.put(
                    "spark.sql.extensions",
                    extensions.isBlank() ? DELTA_EXTENSION : extensions + "," + DELTA_EXTENSION);
        }
        if (systemProperties.getProperty("spark.sql.catalog.spark_catalog") == null) {
            conf.putIfAbsent("spark.sql.catalog.spark_catalog", DELTA_CATALOG);
        }
        return conf;
    }

    /**
     * Runs {@code work} on a session started from {@code settings} and stops the session after it; an error while
     * stopping is attached to the work's failure, never replacing it.
     */
    static <T> T withSession(SparkSettings settings, Function<SparkSession, T> work) {
        SparkSession.Builder builder = SparkSession.builder();
        sessionConf(settings, System.getProperties()).forEach(builder::config);
        SparkSession spark = builder.getOrCreate();
        T result;
        try {
            result = work.apply(spark);
        } catch (RuntimeException | Error failure) {
            try {
                spark.stop();
            } catch (RuntimeException stopFailure) {
                failure.addSuppressed(stopFailure);
            }
            throw failure;
        }
        spark.stop();
        return result;
    }
}
