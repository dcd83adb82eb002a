package dev.sparktune.e2e;

import dev.sparktune.testkit.RepoPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.Utils;

/**
 * A SparkSession on Spark's local-cluster: a master and {@code workers} workers on 127.0.0.1 inside this JVM, each
 * executor its own JVM started with the project's JVM flags (conf/jvm.properties) and this JVM's class path. Returns
 * once every executor has registered; {@code conf} adds or overrides settings.
 */
final class LocalClusterSession {
    private LocalClusterSession() {}

    static SparkSession start(String appName, Path scratch, int workers, Map<String, String> conf) throws Exception {
        Path sparkHome = scratch.resolve("spark-home");
        Files.createDirectories(sparkHome.resolve("jars"));
        System.setProperty("spark.testing", "true");
        System.setProperty("spark.test.home", sparkHome.toString());
        Utils.setCustomHostname("127.0.0.1");
        Properties jvm = new Properties();
        try (var in = Files.newBufferedReader(RepoPaths.resolve("conf/jvm.properties"))) {
            jvm.load(in);
        }
        Path executorTmp = Files.createDirectories(scratch.resolve("executor-tmp"));
        SparkSession.Builder builder = SparkSession.builder()
                .master("local-cluster[" + workers + ",1,1024]")
                .appName(appName)
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.executor.memory", "1g")
                .config("spark.executorEnv.SPARK_SCALA_VERSION", "2.13")
                .config("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE")
                .config(
                        "spark.executor.extraJavaOptions",
                        jvm.getProperty("sparktune.jvm.flags") + " -Djava.io.tmpdir=" + executorTmp)
                .config("spark.sql.warehouse.dir", scratch.resolve("warehouse").toString())
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
        conf.forEach(builder::config);
        SparkSession spark = builder.getOrCreate();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (spark.sparkContext().getExecutorMemoryStatus().size() < workers + 1) { // + the driver
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(workers + " executors did not register within 90 s");
            }
            Thread.sleep(200);
        }
        return spark;
    }

    /** Stops the session and clears the system properties {@link #start} set. */
    static void stop(SparkSession spark) {
        if (spark != null) {
            spark.stop();
        }
        System.clearProperty("spark.testing");
        System.clearProperty("spark.test.home");
    }
}
