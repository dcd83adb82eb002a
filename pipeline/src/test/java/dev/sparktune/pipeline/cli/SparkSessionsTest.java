package dev.sparktune.pipeline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.sparktune.pipeline.config.SparkSettings;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class SparkSessionsTest {
    private static final SparkSettings SETTINGS =
            new SparkSettings("local[2]", "my-job", Map.of("spark.sql.shuffle.partitions", "8"));

    private static Properties props(String... keyValues) {
        Properties properties = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            properties.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return properties;
    }

    @Test
    void standaloneRunUsesTheConfiguredMasterAndNameAndEnablesDelta() {
        Map<String, String> conf = SparkSessions.sessionConf(SETTINGS, props());
        assertEquals("local[2]", conf.get("spark.master"));
        assertEquals("my-job", conf.get("spark.app.name"));
        assertEquals("8", conf.get("spark.sql.shuffle.partitions"));
        assertEquals(SparkSessions.DELTA_EXTENSION, conf.get("spark.sql.extensions"));
        assertEquals(SparkSessions.DELTA_CATALOG, conf.get("spark.sql.catalog.spark_catalog"));
    }

    @Test
    void underSparkSubmitItsMasterAndNameWin() {
        SparkSettings withMasterInConf = new SparkSettings("local[2]", "my-job", Map.of("spark.master", "local[1]"));
        Map<String, String> conf = SparkSessions.sessionConf(
                withMasterInConf, props("spark.master", "yarn", "spark.app.name", "nightly-prep"));
        assertFalse(conf.containsKey("spark.master"), conf.toString());
        assertFalse(conf.containsKey("spark.app.name"), conf.toString());
        // spark-submit without --name names the app after the main class: ours is better
        Map<String, String> unnamed = SparkSessions.sessionConf(
                SETTINGS, props("spark.master", "yarn", "spark.app.name", SparkTuneCli.class.getName()));
        assertEquals("my-job", unnamed.get("spark.app.name"));
    }

    @Test
    void deltaIsAppendedToConfiguredExtensions() {
        SparkSettings settings = new SparkSettings("local[2]", "x", Map.of("spark.sql.extensions", "com.acme.Ext"));
        assertEquals(
                "com.acme.Ext," + SparkSessions.DELTA_EXTENSION,
                SparkSessions.sessionConf(settings, props()).get("spark.sql.extensions"));
        SparkSettings already =
                new SparkSettings("local[2]", "x", Map.of("spark.sql.extensions", SparkSessions.DELTA_EXTENSION));
        assertEquals(
                SparkSessions.DELTA_EXTENSION,
                SparkSessions.sessionConf(already, props()).get("spark.sql.extensions"));
    }
}
