package dev.sparktune.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.preprocess.TestPrepConfig;
import dev.sparktune.preprocess.api.PrepConfig;
import dev.sparktune.preprocess.api.PrepJob;
import dev.sparktune.preprocess.api.PrepResult;
import dev.sparktune.preprocess.table.PackedTable;
import dev.sparktune.testkit.RepoPaths;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The prep job on a real multi-process Spark cluster (local-cluster: a master and two workers on 127.0.0.1, each
 * executor its own JVM): the tokenizer, template and converters reach executors only through the job's closures,
 * so anything that works only in the driver's JVM fails here.
 */
class LocalClusterPrepEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path scratch;
    static SparkSession spark;

    @BeforeAll
    static void startCluster() throws Exception {
        Path sparkHome = scratch.resolve("spark-home");
        Files.createDirectories(sparkHome.resolve("jars"));
        System.setProperty("spark.testing", "true");
        System.setProperty("spark.test.home", sparkHome.toString());
        org.apache.spark.util.Utils.setCustomHostname("127.0.0.1");
        java.util.Properties jvm = new java.util.Properties();
        try (var in = Files.newBufferedReader(RepoPaths.resolve("conf/jvm.properties"))) {
            jvm.load(in);
        }
        String flags = jvm.getProperty("sparktune.jvm.flags");
        Path executorTmp = Files.createDirectories(scratch.resolve("executor-tmp"));
        spark = SparkSession.builder()
                .master("local-cluster[2,1,1024]")
                .appName("LocalClusterPrepEndToEndTest")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.executor.memory", "1g")
                .config("spark.executorEnv.SPARK_SCALA_VERSION", "2.13")
                .config("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE")
                .config("spark.executor.extraJavaOptions", flags + " -Djava.io.tmpdir=" + executorTmp)
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.warehouse.dir", scratch.resolve("warehouse").toString())
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
                .getOrCreate();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (spark.sparkContext().getExecutorMemoryStatus().size() < 3) {   // driver + 2 executors
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("executors did not register within 90 s");
            }
            Thread.sleep(200);
        }
    }

    @AfterAll
    static void stopCluster() {
        if (spark != null) {
            spark.stop();
        }
        System.clearProperty("spark.testing");
        System.clearProperty("spark.test.home");
    }

    @Test
    void prepOnExecutorJvmsMatchesTransformersTokenForToken() throws Exception {
        Path parity = RepoPaths.resolve("preprocess/src/test/resources/datasets/parity");
        PrepConfig config = TestPrepConfig.of(parity, scratch.resolve("out"), "parity_sharegpt").partitions(2).build();
        PrepResult result = PrepJob.run(spark, config);

        JsonNode golden = JSON.readTree(RepoPaths.resolve(
                "preprocess/src/test/resources/goldens/prep_tokens_qwen3.json").toFile());
        Set<List<Integer>> expected = new HashSet<>();
        for (JsonNode c : golden.get("cases")) {
            expected.add(java.util.stream.StreamSupport.stream(c.get("input_ids").spliterator(), false)
                    .map(JsonNode::asInt).toList());
        }
        Set<List<Integer>> actual = new HashSet<>();
        for (Row row : spark.read().format("delta").load(config.outputTable()).collectAsList()) {
            actual.add(row.getList(row.fieldIndex(PackedTable.INPUT_IDS)).stream()
                    .map(v -> ((Number) v).intValue()).toList());
        }
        assertEquals(expected, actual);
        assertEquals(expected.size(), result.stats().acceptedDocuments());
        assertEquals(result.stats().inputRecords(),
                result.stats().acceptedDocuments() + result.stats().rejectedRecords());
    }
}
