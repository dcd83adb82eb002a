package dev.sparktune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelInit;
import dev.sparktune.pipeline.cli.SparkTuneCli;
import dev.sparktune.testkit.MotoServer;
import dev.sparktune.testkit.RepoPaths;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code sparktune prep} reading its datasets from and writing both Delta tables and the stats to an S3 bucket
 * (moto_server on 127.0.0.1 behind the real s3a connector); then {@code sparktune train} with the base model, the
 * table, the checkpoints and the adapter all on s3a, and a re-run that resumes from the checkpoint there.
 */
class S3aPrepEndToEndTest {
    private static final String BUCKET = "sparktune-e2e";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static java.nio.file.Path scratch;

    static MotoServer moto;
    static Configuration hadoop;

    @BeforeAll
    static void startS3() throws Exception {
        moto = MotoServer.start(scratch.resolve("moto.log"));
        moto.createBucket(BUCKET);
        hadoop = new Configuration();
        moto.s3aSettings().forEach(hadoop::set);
        FileSystem s3 = FileSystem.get(URI.create("s3a://" + BUCKET + "/"), hadoop);
        java.nio.file.Path data = RepoPaths.resolve("data");
        for (String file :
                new String[] {"dataset_info.json", "demo_alpaca.jsonl", "demo_sharegpt.json", "demo_messages.jsonl"}) {
            // a plain output stream, as Spark and Delta write (copyFromLocalFile takes the async transfer manager,
            // whose client mishandles moto's "100 Continue")
            try (var out = s3.create(new Path("s3a://" + BUCKET + "/data/" + file))) {
                out.write(Files.readAllBytes(data.resolve(file)));
            }
        }
    }

    @AfterAll
    static void stopS3() {
        if (moto != null) {
            moto.close();
        }
    }

    @Test
    void prepReadsAndWritesS3a() throws Exception {
        String s3aConf = moto.s3aSettings().entrySet().stream()
                .map(e -> "      \"spark.hadoop." + e.getKey() + "\" = \"" + e.getValue() + "\"")
                .collect(Collectors.joining("\n"));
        java.nio.file.Path conf = scratch.resolve("s3a.conf");
        Files.writeString(
                conf,
                "include file(\"" + RepoPaths.resolve("conf/demo-prep.conf") + "\")\n"
                        + "sparktune {\n"
                        + "  model.model_name_or_path = \"" + RepoPaths.resolve("assets/tokenizers/qwen3") + "\"\n"
                        + "  data.dataset_dir = \"s3a://" + BUCKET + "/data\"\n"
                        + "  prep.output_table = \"s3a://" + BUCKET + "/tables/packed\"\n"
                        + "  spark {\n    master = \"local[2]\"\n    conf {\n" + s3aConf + "\n"
                        + "      \"spark.sql.warehouse.dir\" = \"" + scratch.resolve("warehouse")
                        + "\"\n    }\n  }\n}\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = SparkTuneCli.newCommandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute("prep", "-c", conf.toString());
        assertEquals(0, exit, "stderr:\n" + err);

        FileSystem s3 = FileSystem.get(URI.create("s3a://" + BUCKET + "/"), hadoop);
        assertTrue(s3.exists(new Path("s3a://" + BUCKET + "/tables/packed/_delta_log")));
        assertTrue(s3.exists(new Path("s3a://" + BUCKET + "/tables/packed_rejects/_delta_log")));
        JsonNode stats;
        try (InputStream in = s3.open(new Path("s3a://" + BUCKET + "/tables/packed_stats.json"))) {
            stats = JSON.readTree(in);
        }
        assertEquals(900, stats.get("inputRecords").asLong(), stats.toString());
        assertEquals(
                stats.get("inputRecords").asLong(),
                stats.get("acceptedDocuments").asLong()
                        + stats.get("rejectedRecords").asLong());

        SparkSession.Builder builder = SparkSession.builder()
                .master("local[1]")
                .appName("s3a-check")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
        for (Map.Entry<String, String> e : moto.s3aSettings().entrySet()) {
            builder.config("spark.hadoop." + e.getKey(), e.getValue());
        }
        try (SparkSession spark = builder.getOrCreate()) {
            long rows = spark.read()
                    .format("delta")
                    .load("s3a://" + BUCKET + "/tables/packed")
                    .count();
            long documents = spark.read()
                    .format("delta")
                    .load("s3a://" + BUCKET + "/tables/packed")
                    .selectExpr("sum(size(doc_ids))")
                    .first()
                    .getLong(0);
            assertEquals(stats.get("acceptedDocuments").asLong(), documents);
            assertTrue(rows > 0 && rows < documents, "packing puts several documents per row: " + rows + " rows");
        }

        // a tiny Qwen3 sharing the tokenizer, uploaded to the bucket
        java.nio.file.Path local = scratch.resolve("model");
        ModelConfig cfg = ModelInit.config(
                "Qwen3ForCausalLM",
                ModelInit.vocabSize(RepoPaths.resolve("assets/tokenizers/qwen3")),
                16,
                32,
                2,
                2,
                1,
                8,
                true);
        HfModelDir.Loaded init = ModelInit.random(cfg, 1, 0.02);
        HfModelDir.save(
                local, cfg, init.layout(), init.params(), RepoPaths.resolve("assets/tokenizers/qwen3"), 1L << 30);
        try (var files = Files.list(local)) {
            for (java.nio.file.Path f : files.toList()) {
                try (var stream = s3.create(new Path("s3a://" + BUCKET + "/models/tiny/" + f.getFileName()))) {
                    stream.write(Files.readAllBytes(f));
                }
            }
        }
        String run = "s3a://" + BUCKET + "/runs/lora";
        String[] train = {
            "train",
            "-c",
            conf.toString(),
            "--set",
            "model.model_name_or_path=\"s3a://" + BUCKET + "/models/tiny\"",
            "--set",
            "train.output_dir=\"" + run + "\"",
            "--set",
            "train.max_steps=4",
            "--set",
            "train.save_steps=2",
            "--set",
            "train.save_total_limit=1"
        };
        StringWriter trainOut = new StringWriter();
        cli.setOut(new PrintWriter(trainOut));
        exit = cli.execute(train);
        assertEquals(0, exit, "stderr:\n" + err);
        JsonNode summary = JSON.readTree(trainOut.toString());
        assertEquals(4, summary.get("steps_run").asInt(), summary.toString());
        for (String file : new String[] {
            "adapter_model.safetensors",
            "adapter_config.json",
            "trainer_log.jsonl",
            "checkpoint-4/COMMITTED",
            "checkpoint-4/checkpoint.json"
        }) {
            assertTrue(s3.exists(new Path(run + "/" + file)), file + " on s3a");
        }
        assertTrue(!s3.exists(new Path(run + "/checkpoint-2")), "save_total_limit 1 pruned checkpoint-2 on s3a");
        try (InputStream in = s3.open(new Path(run + "/adapter_config.json"))) {
            assertEquals(
                    "s3a://" + BUCKET + "/models/tiny",
                    JSON.readTree(in).get("base_model_name_or_path").asText());
        }

        StringWriter again = new StringWriter();
        cli.setOut(new PrintWriter(again));
        exit = cli.execute(train);
        assertEquals(0, exit, "stderr:\n" + err);
        assertEquals(
                4,
                JSON.readTree(again.toString()).get("first_step").asInt(),
                "the re-run resumes from checkpoint-4 on s3a: " + again);
    }
}
