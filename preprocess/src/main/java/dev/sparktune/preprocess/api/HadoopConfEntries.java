package dev.sparktune.preprocess.api;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * The driver's Hadoop settings as plain entries, shipped to tasks so they open {@code s3a://}, {@code hdfs://} and
 * other files with the same credentials and endpoints the driver used ({@link Configuration} itself is not
 * serializable): prep's source reads, and the trainer's ranks reading the table it pinned. Values are kept raw
 * ({@code ${var}} unexpanded), so they expand in the task as on the driver.
 *
 * @param entries every entry of the configuration, defaults included
 */
public record HadoopConfEntries(Map<String, String> entries) implements Serializable {
    public HadoopConfEntries {
        entries = Map.copyOf(Objects.requireNonNull(entries, "entries"));
    }

    /**
     * The settings Spark's own file reads use: the SparkContext's Hadoop configuration plus the session's
     * {@code spark.hadoop.*} and file-system SQL settings.
     */
    public static HadoopConfEntries fromSession(SparkSession spark) {
        return of(spark.sessionState().newHadoopConf());
    }

    public static HadoopConfEntries of(Configuration conf) {
        Map<String, String> entries = new HashMap<>();
        for (Map.Entry<String, String> entry : conf) {
            entries.put(entry.getKey(), entry.getValue());
        }
        return new HadoopConfEntries(entries);
    }

    /** A fresh configuration holding exactly these entries (no default resources loaded on top). */
    public Configuration toConfiguration() {
        Configuration conf = new Configuration(false);
        entries.forEach(conf::set);
        return conf;
    }

    /** The count only: entries may hold credentials, and this object reaches logs and task descriptions. */
    @Override
    public String toString() {
        return "HadoopConfEntries[" + entries.size() + " entries]";
    }
}
