package dev.sparktune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.testkit.CliArgs;
import dev.sparktune.testkit.RepoPaths;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.hadoop.yarn.util.resource.ResourceUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a platform team runs on YARN: {@code ./spark-submit.sh --master yarn --deploy-mode client|cluster run -c
 * conf/demo-yarn.conf} with the dist jar, against a real ResourceManager and NodeManager (MiniYARNCluster, in this
 * JVM, as Spark's own YARN suites run) whose configuration is written to a YARN_CONF_DIR, through Spark's real
 * launcher and its YARN client (the e2e Spark installation: Spark with its YARN support, Delta, hadoop-aws). Two
 * applications at once, sharing nothing: in client deploy mode the demo run's data, model and prep stages (prep on two
 * executor containers); in cluster deploy mode the whole run, on fake GPUs, its training 2 ranks in a barrier stage
 * across two executor containers (the TCP ring between them). The test asserts the applications' final status in the
 * ResourceManager, the runs' reports and which container ran what.
 */
class YarnEndToEndTest {
    private static final int EXECUTORS = 2;
    private static final String GPU = "yarn.io/gpu";
    private static final int SUBMIT_MINUTES = 8;

    @TempDir
    static Path scratch;

    static MiniYARNCluster yarn;
    static Path yarnConfDir;
    static SparkInstallation spark;
    static Launched client;
    static Launched cluster;

    @BeforeAll
    static void startYarn() throws Exception {
        YarnConfiguration conf = new YarnConfiguration();
        // hadoop-client-minicluster has no capacity-scheduler.xml: one queue, all of the cluster, set here
        conf.set("yarn.scheduler.capacity.root.queues", "default");
        conf.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
        conf.setInt("yarn.scheduler.capacity.root.default.maximum-capacity", 100);
        conf.setFloat("yarn.scheduler.capacity.root.default.user-limit-factor", 1);
        conf.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
        conf.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
        conf.set("yarn.scheduler.capacity.root.default.acl_administer_queue", "*");
        conf.setInt("yarn.scheduler.capacity.node-locality-delay", -1);
        // an application master may take what it needs (the cluster driver in cluster deploy mode)
        conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 1.0f);
        // room for both applications at once, each an AM and two executors of 1 GiB heap + overhead; memory is not
        // enforced in the mini cluster
        conf.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, 12288);
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 256);
        // a full disk must not mark the only node unhealthy (the test would hang waiting for containers)
        conf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 100.0f);
        conf.set(YarnConfiguration.RM_HOSTNAME, "127.0.0.1");
        // GPUs without GPUs, as Spark's YARN suites do: yarn.io/gpu declared as a resource type, the node offering
        // two (no GPU plugin: nothing is isolated), and a scheduler that counts resources other than memory
        conf.set(YarnConfiguration.RESOURCE_TYPES, GPU);
        conf.setInt(YarnConfiguration.NM_RESOURCES_PREFIX + GPU, EXECUTORS);
        conf.set(
                "yarn.scheduler.capacity.resource-calculator",
                "org.apache.hadoop.yarn.util.resource.DominantResourceCalculator");
        ResourceUtils.resetResourceTypes(conf); // the ResourceManager and NodeManager of this JVM read it
        yarn = startRetryingBindClashes(conf);
        yarnConfDir = Files.createDirectories(scratch.resolve("yarn-conf"));
        try (OutputStream out = Files.newOutputStream(yarnConfDir.resolve("yarn-site.xml"))) {
            yarn.getConfig().writeXml(out);
        }
        spark = SparkInstallation.under(scratch);
        // the two applications share nothing: submitted at once, one's JVMs start while the other's compute
        client = launch("client", List.of(), List.of("run.stages=[synthetic_data, init_model, prep]"));
        Path discovery = FakeGpuDiscovery.script(Files.createDirectories(scratch.resolve("gpus")));
        cluster = launch(
                "cluster",
                List.of(
                        "spark.executor.resource.gpu.amount=1",
                        "spark.executor.resource.gpu.discoveryScript=" + discovery,
                        "spark.task.resource.gpu.amount=1"),
                List.of("train.device=gpu"));
    }

    /** MiniYARNCluster binds ephemeral ports; a clash with another process is retried, never skipped. */
    private static MiniYARNCluster startRetryingBindClashes(YarnConfiguration conf) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            MiniYARNCluster cluster = new MiniYARNCluster(YarnEndToEndTest.class.getSimpleName(), 1, 1, 1);
            try {
                cluster.init(conf);
                cluster.start();
                awaitResourceManagerAddress(cluster);
                return cluster;
            } catch (RuntimeException e) {
                cluster.stop();
                if (attempt == 3 || !causedBy(e, BindException.class)) {
                    throw e;
                }
            }
        }
    }

    /** start() may return before the ResourceManager has written its bound port into the configuration. */
    private static void awaitResourceManagerAddress(MiniYARNCluster cluster) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (cluster.getConfig().get(YarnConfiguration.RM_ADDRESS).endsWith(":0")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the ResourceManager did not bind within 30 s");
            }
            Thread.sleep(100);
        }
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Stops the cluster beside the next test classes: its stop is ~17 s of waiting and no work (the NodeManager waits
     * for the finished applications, whose logs it keeps for 3 hours, then for its log deleter). A daemon thread: a
     * JVM that ends first leaves the cluster's directories under target/, nothing else.
     */
    @AfterAll
    static void stopYarn() {
        for (Launched launched : new Launched[] {client, cluster}) {
            if (launched != null) {
                launched.process().destroyForcibly();
            }
        }
        if (yarn != null) {
            MiniYARNCluster stopping = yarn;
            Thread stopper = new Thread(
                    () -> {
                        stopping.stop();
                        // the containers' logs (the NodeManager deletes each application's localized dist jar)
                        try (Stream<Path> files =
                                Files.walk(stopping.getTestWorkDir().toPath())) {
                            for (Path f :
                                    files.sorted(Comparator.reverseOrder()).toList()) {
                                Files.delete(f);
                            }
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    },
                    "YarnEndToEndTest-stop");
            stopper.setDaemon(true);
            stopper.start();
        }
    }

    /**
     * The demo run's first stages with the driver in spark-submit's JVM: the data and the model in the driver, prep on
     * the two executor containers (training is the cluster deploy mode's run's: one barrier stage on YARN is proof
     * enough, and a second would add a minute to the test).
     */
    @Test
    void clientDeployModePrepsInExecutorContainers() throws Exception {
        Submission run = awaitSucceeded(client);
        JsonNode report = lastJsonLine(run.output());
        assertFalse(report.has("train"), report.toString());
        JsonNode stats = report.path("prep").path("stats");
        assertTrue(stats.path("inputRecords").asLong() > 0, report + "\n" + tail(run.output()));
        assertEquals(
                stats.path("inputRecords").asLong(),
                stats.path("acceptedDocuments").asLong()
                        + stats.path("rejectedRecords").asLong(),
                report.toString());
        // prep's tasks ran in both executor containers (partitions = 2, one core each)
        List<String> executorLogs = executorLogs(run.application());
        assertEquals(EXECUTORS, executorLogs.size());
        for (String log : executorLogs) {
            assertTrue(log.contains("Executor: Finished task"), "an executor container ran no task:\n" + tail(log));
        }
    }

    /**
     * The driver runs in the application master's container; training asks for one GPU per executor and task
     * (yarn.io/gpu on YARN), each executor's discovery script reports the GPU of its container (a fake one: the
     * first executor to ask gets 0, the next 1) and each rank reads the address Spark assigned its task. The whole
     * demo run: data, model and prep in the driver and on the executors, then 2 ranks in a barrier stage across the
     * two executor containers, the TCP ring between them.
     */
    @Test
    void clusterDeployModeTrainsInExecutorContainersWithTheDriverInTheApplicationMasterAndEachRankGetsItsOwnGpu()
            throws Exception {
        Submission run = awaitSucceeded(cluster);
        List<Path> containers = containerDirs(run.application());
        Path driver = containers.stream()
                .filter(c -> c.getFileName().toString().endsWith("_000001"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no application master container: " + containers));
        String driverLog = Files.readString(driver.resolve("stderr"));
        JsonNode report = lastJsonLine(Files.readString(driver.resolve("stdout")));
        assertTrue(report.path("prep").path("stats").path("acceptedDocuments").asLong() > 0, report.toString());
        assertTrained(report);
        List<String> gpus = new ArrayList<>();
        report.path("train").path("gpu_addresses").forEach(a -> gpus.add(a.asText()));
        assertEquals(List.of("0", "1"), gpus.stream().sorted().toList(), report.toString());
        assertEachRankRanInAnExecutorContainer(run.application(), driverLog);
    }

    private record Submission(ApplicationReport application, String output) {}

    /** A spark-submit.sh process and the file its output goes to. */
    private record Launched(String deployMode, Process process, Path log) {}

    /**
     * Starts spark-submit.sh run of the demo (a few training steps) in {@code deployMode} with {@code sparkConf} (k=v)
     * and the run's {@code settings}, its outputs under scratch/{@code deployMode}.
     */
    private static Launched launch(String deployMode, List<String> sparkConf, List<String> settings)
            throws IOException {
        Path dir = Files.createDirectories(scratch.resolve(deployMode));
        List<String> command = new ArrayList<>(List.of(
                "bash",
                RepoPaths.resolve("spark-submit.sh").toString(),
                "--master",
                "yarn",
                "--deploy-mode",
                deployMode,
                "--name",
                "sparktune-yarn-" + deployMode,
                "--conf",
                "spark.yarn.stagingDir=" + dir.resolve("staging").toUri(),
                // a failure is the test's answer: no second attempt of the application master
                "--conf",
                "spark.yarn.maxAppAttempts=1",
                // Spark is installed on every node (one host here): its jars are not uploaded per application
                "--conf",
                "spark.yarn.jars=local:" + spark.home().resolve("jars") + "/*",
                // the containers' Java: YARN starts them with $JAVA_HOME/bin/java of the NodeManager's environment
                "--conf",
                "spark.yarn.appMasterEnv.JAVA_HOME=" + System.getProperty("java.home"),
                "--conf",
                "spark.executorEnv.JAVA_HOME=" + System.getProperty("java.home")));
        sparkConf.forEach(kv -> command.addAll(List.of("--conf", kv)));
        List<String> verb = new ArrayList<>(
                List.of("run", "-c", RepoPaths.resolve("conf/demo-yarn.conf").toString()));
        List<String> all = new ArrayList<>(DemoRunArgs.outputsUnder(dir));
        all.addAll(settings);
        command.addAll(List.of(CliArgs.withSettings(verb, all.toArray(String[]::new))));
        Path log = dir.resolve("spark-submit.log");
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        spark.environment(env);
        env.put("YARN_CONF_DIR", yarnConfDir.toString());
        env.put("HADOOP_CONF_DIR", yarnConfDir.toString());
        return new Launched(deployMode, builder.start(), log);
    }

    /** Waits for {@code launched}'s spark-submit and its application, which must have succeeded. */
    private static Submission awaitSucceeded(Launched launched) throws Exception {
        Process submit = launched.process();
        boolean exited = submit.waitFor(SUBMIT_MINUTES, TimeUnit.MINUTES);
        if (!exited) {
            submit.destroyForcibly().waitFor();
        }
        String output = Files.readString(launched.log());
        ApplicationReport application = application("sparktune-yarn-" + launched.deployMode(), output);
        assertTrue(exited, "spark-submit did not finish within " + SUBMIT_MINUTES + " minutes:\n" + tail(output));
        assertEquals(0, submit.exitValue(), "spark-submit failed:\n" + tail(output));
        assertEquals(
                FinalApplicationStatus.SUCCEEDED,
                application.getFinalApplicationStatus(),
                application + "\n" + tail(output));
        return new Submission(application, output);
    }

    /** The ResourceManager's report of the one application named {@code name}. */
    private static ApplicationReport application(String name, String output) throws Exception {
        try (YarnClient client = YarnClient.createYarnClient()) {
            client.init(yarn.getConfig());
            client.start();
            List<ApplicationReport> named = client.getApplications().stream()
                    .filter(a -> a.getName().equals(name))
                    .toList();
            assertEquals(1, named.size(), "applications named " + name + ": " + named + "\n" + tail(output));
            assertEquals("SPARK", named.get(0).getApplicationType());
            return named.get(0);
        }
    }

    private static void assertTrained(JsonNode report) {
        JsonNode train = report.path("train");
        assertEquals(6, train.path("steps_run").asInt(), report.toString());
        assertEquals(2, train.path("held_bytes_per_rank").size(), report.toString());
        assertTrue(
                train.path("final_loss").asDouble() < train.path("first_loss").asDouble(), train.toString());
    }

    /** Rank r logs "rank r/2: ring formed" in exactly one executor container's log, never in the driver's. */
    private static void assertEachRankRanInAnExecutorContainer(ApplicationReport application, String driverLog)
            throws IOException {
        List<String> executorLogs = executorLogs(application);
        for (int rank = 0; rank < EXECUTORS; rank++) {
            String formed = "rank " + rank + "/" + EXECUTORS + ": ring formed";
            assertEquals(
                    1,
                    executorLogs.stream().filter(l -> l.contains(formed)).count(),
                    "one executor container's log says '" + formed + "'");
            assertFalse(driverLog.contains(formed), "the driver trained no rank itself");
        }
    }

    /** The stderr of each executor's container (the application has the application master's, 000001, and two). */
    private static List<String> executorLogs(ApplicationReport application) throws IOException {
        List<Path> containers = containerDirs(application);
        assertEquals(1 + EXECUTORS, containers.size(), containers.toString());
        List<String> logs = new ArrayList<>();
        for (Path container : containers) {
            if (!container.getFileName().toString().endsWith("_000001")) {
                logs.add(Files.readString(container.resolve("stderr")));
            }
        }
        return logs;
    }

    /**
     * The application's container log directories on the NodeManager (kept after the application ends: 3 hours by
     * default, yarn.nodemanager.log.retain-seconds, without log aggregation).
     */
    private static List<Path> containerDirs(ApplicationReport application) throws IOException {
        String appId = application.getApplicationId().toString();
        try (Stream<Path> files = Files.walk(yarn.getTestWorkDir().toPath())) {
            return files.filter(Files::isDirectory)
                    .filter(d -> d.getFileName().toString().startsWith("container_")
                            && d.getParent().getFileName().toString().equals(appId)
                            && d.getParent()
                                    .getParent()
                                    .getFileName()
                                    .toString()
                                    .contains("-logDir-"))
                    .sorted()
                    .toList();
        }
    }

    private static JsonNode lastJsonLine(String output) throws IOException {
        String last = output.lines()
                .filter(l -> l.startsWith("{"))
                .reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no JSON report in:\n" + tail(output)));
        return new ObjectMapper().readTree(last);
    }

    private static String tail(String log) {
        return log.substring(Math.max(0, log.length() - 8000));
    }
}
