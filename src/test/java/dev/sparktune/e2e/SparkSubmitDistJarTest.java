package dev.sparktune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.testkit.RepoPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a platform team runs: {@code SPARK_HOME=... ./spark-submit.sh --master ... run -c job.conf} with the dist jar
 * on a Spark installation that has only Spark, Delta and hadoop-aws (e2e/cluster: their jars + Spark's own
 * launcher). The master is local-cluster, a master and two workers inside the driver whose executors are JVMs of
 * their own that load SparkTune from the submitted jar alone. The demo pipeline (shortened) runs end to end: prep
 * tasks and the 2-rank barrier training stage run on the executors, export and eval on the driver.
 */
class SparkSubmitDistJarTest {
    @TempDir
    Path scratch;

    @Test
    void theDistJarRunsThePipelineThroughSparkSubmitOnExecutorsOfItsOwn() throws Exception {
        Path sparkHome = sparkHome();
        Path jar = Path.of(System.getProperty("sparktune.dist.jar"));
        assertTrue(Files.isRegularFile(jar), "no dist jar at " + jar + ": it is built in the package phase, so run the "
                + "e2e tests with mvn verify (or mvn package -pl dist -am first)");
        String root = RepoPaths.root().toString();
        List<String> command = new ArrayList<>(List.of("bash", root + "/spark-submit.sh",
                "--master", "local-cluster[2,1,1024]", "--driver-memory", "2g",
                "--conf", "spark.executor.memory=1g", "--conf", "spark.ui.enabled=false",
                "run", root + "/conf/demo-local.conf"));
        for (String setting : List.of(
                "model.model_name_or_path=\"" + scratch.resolve("model") + "\"",
                "init_model.tokenizer=\"" + root + "/assets/tokenizers/qwen3\"",
                "synthetic_data.output_dir=\"" + scratch.resolve("data") + "\"",
                "data.dataset_dir=\"" + scratch.resolve("data") + "\"",
                "prep.output_table=\"" + scratch.resolve("packed") + "\"",
                "train.output_dir=\"" + scratch.resolve("lora") + "\"",
                "export.export_dir=\"" + scratch.resolve("merged") + "\"",
                "eval.output_dir=\"" + scratch.resolve("eval") + "\"",
                "train.max_steps=20", "train.save_steps=10", "eval.max_samples=16")) {
            command.addAll(List.of("--set", setting));
        }
        Path stdout = scratch.resolve("stdout.json");
        Path stderr = scratch.resolve("stderr.txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(scratch.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        builder.environment().put("SPARK_HOME", sparkHome.toString());
        builder.environment().put("SPARKTUNE_JAR", jar.toString());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        builder.environment().put("SPARK_DIST_CLASSPATH",
                Files.readString(Path.of(System.getProperty("sparktune.cluster.classpath"))).strip());
        Process submit = builder.start();
        boolean finished = submit.waitFor(10, TimeUnit.MINUTES);
        if (!finished) {
            submit.destroyForcibly().waitFor();
        }
        String log = Files.readString(stderr);
        assertTrue(finished && submit.exitValue() == 0, "spark-submit failed:\n" + tail(log));

        JsonNode report = new ObjectMapper().readTree(Files.readString(stdout));
        JsonNode stats = report.path("prep").path("stats");
        assertEquals(4000, stats.path("inputRecords").asLong(), report.toString());
        assertEquals(4000, stats.path("acceptedDocuments").asLong() + stats.path("rejectedRecords").asLong());
        JsonNode train = report.path("train");
        assertEquals(20, train.path("steps_run").asInt(), report.toString());
        assertEquals(2, train.path("held_bytes_per_rank").size(), report.toString());
        assertTrue(train.path("final_loss").asDouble() < train.path("first_loss").asDouble() - 3,
                "20 LoRA steps take the demo's loss from ~13 to ~4.3: " + train);
        assertEquals(16, report.path("eval").path("after").path("generated").asInt(), report.toString());
        for (String file : List.of("lora/adapter_model.safetensors", "lora/checkpoint-20/COMMITTED",
                "merged/model.safetensors", "eval/eval_results.json")) {
            assertTrue(Files.isRegularFile(scratch.resolve(file)), file + " missing:\n" + tail(log));
        }

        // Each rank ran in an executor JVM (the workers' logs), not in the driver.
        List<String> executorLogs = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sparkHome.resolve("work"))) {
            for (Path f : files.filter(f -> f.getFileName().toString().equals("stderr")).toList()) {
                executorLogs.add(Files.readString(f));
            }
        }
        for (int rank = 0; rank < 2; rank++) {
            String formed = "rank " + rank + "/2: ring formed";
            assertEquals(1, executorLogs.stream().filter(l -> l.contains(formed)).count(),
                    "one executor log says '" + formed + "'");
            assertFalse(log.contains(formed), "the driver trained no rank itself");
        }
    }

    /**
     * bin/spark-submit = e2e/cluster's launcher script, an empty jars/: the cluster's jars come from
     * SPARK_DIST_CLASSPATH (set for the spark-submit process), which Spark's launcher puts on the driver's and every
     * executor's class path.
     */
    private Path sparkHome() throws Exception {
        Path home = scratch.resolve("spark-home");
        Files.createDirectories(home.resolve("jars"));
        Path bin = Files.createDirectories(home.resolve("bin"));
        Files.copy(RepoPaths.resolve("e2e/cluster/bin/spark-submit"), bin.resolve("spark-submit"),
                StandardCopyOption.COPY_ATTRIBUTES);
        return home;
    }

    private static String tail(String log) {
        return log.substring(Math.max(0, log.length() - 6000));
    }
}
