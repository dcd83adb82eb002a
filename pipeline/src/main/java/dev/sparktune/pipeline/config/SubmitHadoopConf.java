package dev.sparktune.pipeline.config;

import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * The Hadoop configuration a driver has before any Spark session: spark-submit's {@code --conf} and
 * spark-defaults.conf arrive as {@code spark.*} system properties, and their {@code spark.hadoop.*} entries are Hadoop
 * settings (what Spark itself copies into its Hadoop configuration), optionally overlaid with the config file's own.
 */
public final class SubmitHadoopConf {
    private static final String PREFIX = "spark.hadoop.";

    private SubmitHadoopConf() {}

    /** The system properties' Hadoop settings, then {@code sparkConf}'s (which win). */
    public static Configuration of(Map<String, String> sparkConf) {
        Configuration hadoop = new Configuration();
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith(PREFIX)) {
                hadoop.set(key.substring(PREFIX.length()), System.getProperty(key));
            }
        }
        for (Map.Entry<String, String> entry : sparkConf.entrySet()) {
            if (entry.getKey().startsWith(PREFIX)) {
                hadoop.set(entry.getKey().substring(PREFIX.length()), entry.getValue());
            }
        }
        return hadoop;
    }
}
