package dev.sparktune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.sparktune.testkit.MotoServer;
import dev.sparktune.testkit.RepoPaths;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples users copy validate without a cluster: every config in conf/ with {@code run CONF --dry-run} from
 * the repository root (config keys and values, and the inputs no earlier stage creates), and every task of the
 * Airflow DAG example with its own arguments plus {@code --dry-run}. The cluster examples name
 * s3a://sparktune-examples/...: a moto S3 server stands in for that bucket, holding what the examples read (a model
 * directory, the datasets, a table, an adapter, an export) at the paths they name, and the CLI gets the s3a
 * endpoint the way spark-submit passes settings (system properties).
 */
class ExampleConfsDryRunTest {
    private static final String BUCKET = "sparktune-examples";
    private static final String STANDALONE_CONF = "qwen3-freeze-sft-standalone.conf";

    @TempDir
    static Path scratch;

    static MotoServer moto;
    static List<Path> confs;
    static List<String> s3aJvmArgs = new ArrayList<>();

    @BeforeAll
    static void stageTheExamplesBucket() throws Exception {
        try (Stream<Path> files = Files.list(RepoPaths.resolve("conf"))) {
            confs = files.filter(f -> f.toString().endsWith(".conf")).sorted().toList();
        }
        moto = MotoServer.start(scratch.resolve("moto.log"));
        moto.createBucket(BUCKET);
        Configuration hadoop = new Configuration();
        moto.s3aSettings().forEach(hadoop::set);
        FileSystem s3 = FileSystem.get(URI.create("s3a://" + BUCKET + "/"), hadoop);
        stageInputs(confs, s3);
        // cluster deploy mode on standalone / Kubernetes: the config on shared storage, not on the driver's host
        put(
                s3,
                "s3a://" + BUCKET + "/configs/" + STANDALONE_CONF,
                Files.readAllBytes(RepoPaths.resolve("conf/" + STANDALONE_CONF)));
        moto.s3aSettings().forEach((k, v) -> s3aJvmArgs.add("-Dspark.hadoop." + k + "=" + v));
    }

    @AfterAll
    static void stopS3() {
        if (moto != null) {
            moto.close();
        }
    }

    private static String dryRun(Path workingDir, List<String> args) throws Exception {
        Process cli = CliProcess.start(workingDir, s3aJvmArgs, args);
        String output = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cli.waitFor(120, TimeUnit.SECONDS), args.toString());
        assertEquals(0, cli.exitValue(), args + ":\n" + output);
        assertTrue(output.contains("found"), args + ":\n" + output);
        return output;
    }

    @Test
    void everyConfInConfValidatesWithRunDryRun() throws Exception {
        assertTrue(confs.size() >= 5, "the demo, the prep walkthrough and the cluster examples: " + confs);
        for (Path conf : confs) {
            String out = dryRun(RepoPaths.root(), List.of("run", "conf/" + conf.getFileName(), "--dry-run"));
            if (conf.getFileName().toString().contains("freeze")) {
                assertTrue(out.contains("found freeze: "), "the freeze selection checked against config.json: " + out);
            }
        }
    }

    @Test
    void aConfigOnS3IsReadWithSparkSubmitsHadoopSettings() throws Exception {
        Path elsewhere = Files.createDirectories(scratch.resolve("driver-host"));
        String out = dryRun(
                elsewhere, List.of("train", "-c", "s3a://" + BUCKET + "/configs/" + STANDALONE_CONF, "--dry-run"));
        assertTrue(out.contains("found freeze: "), "the same checks as from the local copy: " + out);
        assertTrue(out.contains("finetuning_type = \"freeze\""), out);
    }

    /**
     * The DAG file loads (python3, with stand-ins for Airflow's DAG and SparkSubmitOperator), chains prep, train,
     * export and eval with retries, and each task's application_args pass the CLI's --dry-run in the directory
     * where cluster deploy mode puts the shipped config (--files).
     */
    @Test
    void airflowDagTasksAreAcceptedByTheCli() throws Exception {
        ProcessBuilder loader = new ProcessBuilder(
                        "python3",
                        RepoPaths.resolve("scripts/airflow_dag_tasks.py").toString(),
                        RepoPaths.resolve("airflow/dags/sparktune_pipeline.py").toString())
                .redirectErrorStream(true);
        loader.environment().put("SPARKTUNE_HOME", RepoPaths.root().toString());
        Process python = loader.start();
        String out = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(python.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, python.exitValue(), out);
        JsonNode dag = new ObjectMapper()
                .readTree(out.strip().lines().reduce((a, b) -> b).orElseThrow());
        List<String> order = new ArrayList<>();
        dag.path("tasks").forEach(t -> order.add(t.path("task_id").asText()));
        assertEquals(List.of("prep", "train", "export", "eval"), order);
        Properties jvm = new Properties();
        try (var in = Files.newBufferedReader(RepoPaths.resolve("conf/jvm.properties"))) {
            jvm.load(in);
        }
        for (int i = 0; i < order.size(); i++) {
            JsonNode task = dag.path("tasks").get(i);
            assertEquals(
                    i + 1 < order.size() ? List.of(order.get(i + 1)) : List.of(),
                    new ObjectMapper().convertValue(task.path("downstream"), List.class),
                    task.toString());
            assertTrue(task.path("retries").asInt() >= 1, "retried tasks must be safe to retry: " + task);
            assertEquals(
                    "dev.sparktune.pipeline.cli.SparkTuneCli",
                    task.path("java_class").asText());
            assertEquals(
                    jvm.getProperty("sparktune.jvm.flags"),
                    task.path("conf").path("spark.executor.extraJavaOptions").asText());
            List<String> args = new ArrayList<>();
            task.path("application_args").forEach(a -> args.add(a.asText()));
            assertEquals(order.get(i), args.get(0), "the task id is the verb");
            args.add("--dry-run");
            Path shippedConfigDir = Path.of(task.path("files").asText()).getParent();
            dryRun(shippedConfigDir, args);
        }
    }

    /**
     * At every s3a path the confs name: a model directory (also at the export path), the datasets with one
     * dataset_info.json listing them all, a Delta log at the table, an adapter at the train output.
     */
    private static void stageInputs(List<Path> confs, FileSystem s3) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode info = json.createObjectNode();
        String datasetDir = null;
        for (Path conf : confs) {
            Config c = ConfigFactory.parseFile(conf.toFile()).getConfig("sparktune");
            String model = c.getString("model.model_name_or_path");
            if (!model.startsWith("s3a://")) {
                continue;
            }
            for (String dir : List.of(model, c.getString("export.export_dir"))) {
                put(
                        s3,
                        dir + "/tokenizer.json",
                        Files.readAllBytes(RepoPaths.resolve("assets/tokenizers/qwen3/tokenizer.json")));
                put(
                        s3,
                        dir + "/config.json",
                        Files.readAllBytes(
                                RepoPaths.resolve("dl4j-ext/src/test/resources/goldens/hf/qwen3/config.json")));
            }
            put(
                    s3,
                    c.getString("prep.output_table") + "/_delta_log/00000000000000000000.json",
                    "{}".getBytes(StandardCharsets.UTF_8));
            // what a LoRA training leaves in output_dir: the dry run checks that both adapter files are there
            for (String file : List.of("adapter_config.json", "adapter_model.safetensors")) {
                put(s3, c.getString("train.output_dir") + "/" + file, "{}".getBytes(StandardCharsets.UTF_8));
            }
            datasetDir = c.getString("data.dataset_dir");
            boolean pt = c.hasPath("data.stage") && c.getString("data.stage").equals("pt");
            for (String name : c.getStringList("data.dataset")) {
                ObjectNode entry = info.putObject(name).put("file_name", name + ".jsonl");
                if (pt) {
                    entry.putObject("columns").put("prompt", "text");
                }
                put(
                        s3,
                        datasetDir + "/" + name + ".jsonl",
                        (pt
                                        ? "{\"text\": \"a document\"}\n"
                                        : "{\"instruction\": \"Say hi.\", \"input\": \"\", \"output\": \"hi\"}\n")
                                .getBytes(StandardCharsets.UTF_8));
            }
        }
        assertTrue(datasetDir != null, "at least one cluster example reads from s3a");
        put(s3, datasetDir + "/dataset_info.json", json.writeValueAsBytes(info));
    }

    /** A plain output stream, as Spark writes (moto and copyFromLocalFile's transfer manager do not agree). */
    private static void put(FileSystem s3, String path, byte[] bytes) throws IOException {
        try (OutputStream out = s3.create(new org.apache.hadoop.fs.Path(path))) {
            out.write(bytes);
        }
    }
}
