package dev.sparktune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.preprocess.TestPrepConfig;
import dev.sparktune.preprocess.api.PrepConfig;
import dev.sparktune.preprocess.api.PrepJob;
import dev.sparktune.preprocess.api.PrepResult;
import dev.sparktune.preprocess.table.PackedTable;
import dev.sparktune.testkit.RepoPaths;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        spark = LocalClusterSession.start(
                "LocalClusterPrepEndToEndTest", scratch, 2, Map.of("spark.sql.shuffle.partitions", "4"));
    }

    @AfterAll
    static void stopCluster() {
        LocalClusterSession.stop(spark);
    }

    @Test
    void prepOnExecutorJvmsMatchesTransformersTokenForToken() throws Exception {
        Path parity = RepoPaths.resolve("preprocess/src/test/resources/datasets/parity");
        PrepConfig config = TestPrepConfig.of(parity, scratch.resolve("out"), "parity_sharegpt")
                .partitions(2)
                .build();
        PrepResult result = PrepJob.run(spark, config);

        JsonNode golden =
                JSON.readTree(RepoPaths.resolve("preprocess/src/test/resources/goldens/prep_tokens_qwen3.json")
                        .toFile());
        Set<List<Integer>> expected = new HashSet<>();
        for (JsonNode c : golden.get("cases")) {
            expected.add(StreamSupport.stream(c.get("input_ids").spliterator(), false)
                    .map(JsonNode::asInt)
                    .toList());
        }
        Set<List<Integer>> actual = new HashSet<>();
        for (Row row :
                spark.read().format("delta").load(config.outputs().table()).collectAsList()) {
            actual.add(row.getList(row.fieldIndex(PackedTable.INPUT_IDS)).stream()
                    .map(v -> ((Number) v).intValue())
                    .toList());
        }
        assertEquals(expected, actual);
        assertEquals(expected.size(), result.stats().acceptedDocuments());
        assertEquals(
                result.stats().inputRecords(),
                result.stats().acceptedDocuments() + result.stats().rejectedRecords());
    }
}
