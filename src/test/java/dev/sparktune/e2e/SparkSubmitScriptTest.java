package dev.sparktune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.pipeline.cli.SparkTuneCli;
import dev.sparktune.testkit.RepoPaths;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * spark-submit.sh with SPARK_HOME: what it hands the cluster's spark-submit (a stand-in that records its
 * arguments, one per line), for the options users pass.
 */
class SparkSubmitScriptTest {
    @TempDir
    Path dir;

    private record Result(int exit, String output) {}

    /** Runs spark-submit.sh with SPARK_HOME's spark-submit a stand-in that records its arguments in args.txt. */
    private Result launch(String... args) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("spark/bin"));
        Path stub = bin.resolve("spark-submit");
        Files.writeString(stub, "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > '" + dir.resolve("args.txt") + "'\n");
        Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.deleteIfExists(dir.resolve("args.txt"));
        Path jar = Files.writeString(dir.resolve("sparktune-dist.jar"), "stand-in");
        List<String> command = new ArrayList<>(
                List.of("bash", RepoPaths.resolve("spark-submit.sh").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder =
                new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().put("SPARK_HOME", dir.resolve("spark").toString());
        builder.environment().put("SPARKTUNE_JAR", jar.toString());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        return new Result(process.exitValue(), output);
    }

    private List<String> submit(String... args) throws Exception {
        Result r = launch(args);
        assertEquals(0, r.exit(), r.output());
        return Files.readAllLines(dir.resolve("args.txt"));
    }

    @Test
    void optionsBeforeTheVerbGoToSparkSubmitAndJvmOptionsAreAddedToTheRequiredFlags() throws Exception {
        List<String> args = submit(
                "--master",
                "yarn",
                "--conf",
                "spark.executor.instances=8",
                "--conf",
                "spark.executor.extraJavaOptions=-XX:+UseG1GC",
                "--driver-java-options",
                "-Dmy.flag=1",
                "prep",
                "-c",
                "job.conf",
                "--set",
                "data.cutoff_len=1024");
        assertEquals("dev.sparktune.pipeline.cli.SparkTuneCli", args.get(args.indexOf("--class") + 1));
        String driver = args.get(args.indexOf("--driver-java-options") + 1);
        assertTrue(
                driver.contains("--add-opens=java.base/java.nio=ALL-UNNAMED") && driver.endsWith("-Dmy.flag=1"),
                driver);
        String executor = args.stream()
                .filter(a -> a.startsWith("spark.executor.extraJavaOptions="))
                .findFirst()
                .orElseThrow();
        assertTrue(executor.contains("--add-opens") && executor.endsWith("-XX:+UseG1GC"), executor);
        assertEquals(
                1,
                args.stream()
                        .filter(a -> a.startsWith("spark.executor.extraJavaOptions="))
                        .count());
        assertEquals("yarn", args.get(args.indexOf("--master") + 1));
        assertTrue(args.contains("spark.executor.instances=8"));
        int jar = args.indexOf(dir.resolve("sparktune-dist.jar").toString());
        assertEquals(
                List.of("prep", "-c", "job.conf", "--set", "data.cutoff_len=1024"),
                args.subList(jar + 1, args.size()),
                "the verb and its options follow the jar unchanged");
    }

    /** Every verb of the CLI passes through: the script's own list of verbs must not fall behind the CLI's. */
    @Test
    void everyCliVerbIsHandedToSparkSubmit() throws Exception {
        for (String verb : SparkTuneCli.newCommandLine().getSubcommands().keySet()) {
            List<String> args = submit(verb, "-c", "job.conf");
            assertEquals(List.of(verb, "-c", "job.conf"), args.subList(args.size() - 3, args.size()), verb);
        }
    }

    @Test
    void clusterDeployModeShipsTheConfigFileAndNamesItByItsBaseName() throws Exception {
        Path conf = Files.writeString(dir.resolve("job.conf"), "sparktune {}\n");
        List<String> args = submit("--master", "yarn", "--deploy-mode", "cluster", "prep", "-c", conf.toString());
        assertEquals(conf.toString(), args.get(args.indexOf("--files") + 1));
        assertEquals(List.of("prep", "-c", "job.conf"), args.subList(args.size() - 3, args.size()));

        // a URI is the driver's to read: passed as is
        args = submit("--master", "spark://m:7077", "--deploy-mode", "cluster", "prep", "-c", "s3a://b/job.conf");
        assertFalse(args.contains("--files"), args.toString());
        assertEquals(List.of("prep", "-c", "s3a://b/job.conf"), args.subList(args.size() - 3, args.size()));
    }

    @Test
    void aLocalConfigInClusterModeOutsideYarnIsRefusedSayingWhatToDo() throws Exception {
        Path conf = Files.writeString(dir.resolve("job.conf"), "sparktune {}\n");
        for (String master : List.of("spark://m:7077", "k8s://https://api:6443")) {
            Result r = launch("--master", master, "--deploy-mode", "cluster", "prep", "-c", conf.toString());
            assertEquals(2, r.exit(), r.output());
            assertTrue(
                    r.output()
                                    .contains("in cluster deploy mode on " + master
                                            + " the driver cannot read the local " + "config")
                            && r.output().contains("-c s3a://bucket/jobs/job.conf"),
                    r.output());
            assertFalse(Files.exists(dir.resolve("args.txt")), "spark-submit was not called");
        }
    }
}
