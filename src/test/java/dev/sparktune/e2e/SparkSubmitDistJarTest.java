package dev.sparktune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.testkit.MotoServer;
import dev.sparktune.testkit.RepoPaths;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a platform team runs on a standalone cluster: {@code SPARK_HOME=... ./spark-submit.sh --master spark://...
 * --deploy-mode cluster run -c s3a://bucket/job.conf} with the dist jar. The Spark installation has only Spark, Delta
 * and hadoop-aws (e2e/cluster: their jars and Spark's own launcher); a standalone Master and one Worker run as JVMs of
 * their own, started through that launcher as sbin/start-master.sh would. In cluster deploy mode the driver runs on
 * the worker, reads its config from S3 (a moto server) with the s3a settings given to spark-submit, and runs the demo
 * pipeline (shortened): prep tasks and the 2-rank barrier training stage on two executors, export and eval in the
 * driver. Driver and executors load SparkTune from the submitted jar alone.
 */
class SparkSubmitDistJarTest {
    private static final String BUCKET = "sparktune-jobs";

    @TempDir
    Path scratch;

    @Test
    void theDistJarRunsThePipelineInClusterDeployModeOnAStandaloneCluster() throws Exception {
        Path jar = SparkInstallation.distJar();
        assertTrue(
                Files.isRegularFile(jar),
                "no dist jar at " + jar + ": it is built in the package phase, so run the "
                        + "e2e tests with mvn verify (or mvn package -pl dist -am first)");
        SparkInstallation installation = SparkInstallation.under(scratch);
        Path sparkHome = installation.home();
        String root = RepoPaths.root().toString();
        List<Process> daemons = new ArrayList<>();
        try (MotoServer moto = MotoServer.start(scratch.resolve("moto.log"))) {
            moto.createBucket(BUCKET);
            Configuration hadoop = new Configuration();
            moto.s3aSettings().forEach(hadoop::set);
            try (FileSystem s3 = FileSystem.newInstance(URI.create("s3a://" + BUCKET + "/"), hadoop);
                    OutputStream out =
                            s3.create(new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/jobs/demo.conf"))) {
                out.write(Files.readAllBytes(RepoPaths.resolve("conf/demo-local.conf")));
            }

            int masterPort = freePort();
            int masterUi = freePort();
            daemons.add(sparkClass(
                    installation,
                    "master",
                    "org.apache.spark.deploy.master.Master",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    Integer.toString(masterPort),
                    "--webui-port",
                    Integer.toString(masterUi)));
            String master = "spark://127.0.0.1:" + masterPort;
            // one core for the driver, one per rank
            daemons.add(sparkClass(
                    installation,
                    "worker",
                    "org.apache.spark.deploy.worker.Worker",
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    "3",
                    "--memory",
                    "5g",
                    "--work-dir",
                    sparkHome.resolve("work").toString(),
                    "--webui-port",
                    Integer.toString(freePort()),
                    master));
            awaitMaster(
                    masterUi,
                    state -> state.path("aliveworkers").asInt() == 1,
                    Duration.ofSeconds(90),
                    "the worker did not register");

            List<String> command = new ArrayList<>(List.of(
                    "bash",
                    root + "/spark-submit.sh",
                    "--master",
                    master,
                    "--deploy-mode",
                    "cluster",
                    "--driver-memory",
                    "2g",
                    "--conf",
                    "spark.executor.memory=1g",
                    "--conf",
                    "spark.executor.cores=1",
                    "--conf",
                    "spark.ui.enabled=false"));
            moto.s3aSettings().forEach((k, v) -> command.addAll(List.of("--conf", "spark.hadoop." + k + "=" + v)));
            command.addAll(List.of("run", "-c", "s3a://" + BUCKET + "/jobs/demo.conf"));
            for (String setting : List.of(
                    "model.model_name_or_path=\"" + scratch.resolve("model") + "\"",
                    "init_model.tokenizer=\"" + root + "/assets/tokenizers/qwen3\"",
                    "synthetic_data.output_dir=\"" + scratch.resolve("data") + "\"",
                    "data.dataset_dir=\"" + scratch.resolve("data") + "\"",
                    "prep.output_table=\"" + scratch.resolve("packed") + "\"",
                    "train.output_dir=\"" + scratch.resolve("lora") + "\"",
                    "export.export_dir=\"" + scratch.resolve("merged") + "\"",
                    "eval.output_dir=\"" + scratch.resolve("eval") + "\"",
                    "train.max_steps=20",
                    "train.save_steps=10",
                    "eval.max_samples=16")) {
                command.addAll(List.of("--set", setting));
            }
            Path submitLog = scratch.resolve("spark-submit.log");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(scratch.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(submitLog.toFile());
            installation.environment(builder.environment());
            Process submit = builder.start();
            assertTrue(
                    submit.waitFor(2, TimeUnit.MINUTES) && submit.exitValue() == 0,
                    "spark-submit failed:\n" + Files.readString(submitLog));

            JsonNode finished = awaitMaster(
                    masterUi,
                    state -> !state.path("completeddrivers").isEmpty(),
                    Duration.ofMinutes(8),
                    "the driver did not finish");
            String driverLog = readDriverFile(sparkHome, "stderr");
            assertEquals(
                    "FINISHED",
                    finished.path("completeddrivers").get(0).path("state").asText(),
                    "driver:\n" + tail(driverLog));

            JsonNode report = new ObjectMapper().readTree(readDriverFile(sparkHome, "stdout"));
            JsonNode stats = report.path("prep").path("stats");
            assertEquals(4000, stats.path("inputRecords").asLong(), report.toString());
            assertEquals(
                    4000,
                    stats.path("acceptedDocuments").asLong()
                            + stats.path("rejectedRecords").asLong());
            JsonNode train = report.path("train");
            assertEquals(20, train.path("steps_run").asInt(), report.toString());
            assertEquals(2, train.path("held_bytes_per_rank").size(), report.toString());
            assertTrue(
                    train.path("final_loss").asDouble()
                            < train.path("first_loss").asDouble() - 3,
                    "20 LoRA steps take the demo's loss from ~13 to ~4.3: " + train);
            assertEquals(16, report.path("eval").path("after").path("generated").asInt(), report.toString());
            for (String file : List.of(
                    "lora/adapter_model.safetensors",
                    "lora/checkpoint-20/COMMITTED",
                    "merged/model.safetensors",
                    "eval/eval_results.json")) {
                assertTrue(Files.isRegularFile(scratch.resolve(file)), file + " missing:\n" + tail(driverLog));
            }

            // Each rank ran in an executor JVM (the worker's logs of the application), not in the driver.
            List<String> executorLogs = new ArrayList<>();
            try (Stream<Path> files = Files.walk(sparkHome.resolve("work"))) {
                for (Path f : files.filter(f -> f.getFileName().toString().equals("stderr")
                                && f.getParent()
                                        .getParent()
                                        .getFileName()
                                        .toString()
                                        .startsWith("app-"))
                        .toList()) {
                    executorLogs.add(Files.readString(f));
                }
            }
            for (int rank = 0; rank < 2; rank++) {
                String formed = "rank " + rank + "/2: ring formed";
                assertEquals(
                        1,
                        executorLogs.stream().filter(l -> l.contains(formed)).count(),
                        "one executor log says '" + formed + "'");
                assertFalse(driverLog.contains(formed), "the driver trained no rank itself");
            }
        } finally {
            for (Process daemon : daemons) {
                daemon.destroy(); // SIGTERM: the worker's shutdown hook stops its drivers and executors
                if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
                    daemon.destroyForcibly().waitFor();
                }
            }
        }
    }

    private Process sparkClass(SparkInstallation installation, String name, String mainClass, String... args)
            throws IOException {
        List<String> command = new ArrayList<>(
                List.of(installation.home().resolve("bin/spark-class").toString(), mainClass));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(scratch.toFile())
                .redirectErrorStream(true)
                .redirectOutput(scratch.resolve(name + ".log").toFile());
        installation.environment(builder.environment());
        return builder.start();
    }

    /** Polls the master's JSON status page until {@code done} holds; returns that state. */
    private JsonNode awaitMaster(int uiPort, Predicate<JsonNode> done, Duration limit, String failure)
            throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + uiPort + "/json/"))
                .build();
        Instant deadline = Instant.now().plus(limit);
        String last = "(no answer)";
        while (Instant.now().isBefore(deadline)) {
            try {
                last = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
                JsonNode state = new ObjectMapper().readTree(last);
                if (done.test(state)) {
                    return state;
                }
            } catch (IOException notYet) {
                // the master is still starting
            }
            Thread.sleep(1000);
        }
        throw new AssertionError(failure + " within " + limit.toSeconds() + " s; master state: " + last
                + "\nworker log:\n" + tail(Files.readString(scratch.resolve("worker.log"))));
    }

    /** The driver's stdout or stderr in the worker's work directory. */
    private static String readDriverFile(Path sparkHome, String name) throws IOException {
        try (Stream<Path> dirs = Files.list(sparkHome.resolve("work"))) {
            Path driver = dirs.filter(d -> d.getFileName().toString().startsWith("driver-"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("the worker ran no driver"));
            return Files.readString(driver.resolve(name));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static String tail(String log) {
        return log.substring(Math.max(0, log.length() - 6000));
    }
}
