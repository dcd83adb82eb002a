package dev.sparktune.e2e;

import dev.sparktune.testkit.RepoPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * The Spark installation the cluster tests submit to, laid out as a Spark distribution: bin/ = e2e/cluster's launcher
 * scripts (Spark's own launcher through spark-class), an empty jars/. The cluster's jars (Spark with its YARN
 * support, Delta, hadoop-aws: e2e/cluster's class path) come from SPARK_DIST_CLASSPATH, which Spark's launcher puts
 * on the class path of the daemons, the driver and every executor, and which Spark's YARN client hands to every
 * container it starts.
 */
final class SparkInstallation {
    private final Path home;

    private SparkInstallation(Path home) {
        this.home = home;
    }

    /** Lays the installation out under {@code dir}/spark-home. */
    static SparkInstallation under(Path dir) throws IOException {
        Path home = dir.resolve("spark-home");
        Files.createDirectories(home.resolve("jars"));
        Path bin = Files.createDirectories(home.resolve("bin"));
        for (String script : List.of("spark-class", "spark-submit")) {
            Files.copy(
                    RepoPaths.resolve("e2e/cluster/bin/" + script),
                    bin.resolve(script),
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.COPY_ATTRIBUTES);
        }
        return new SparkInstallation(home);
    }

    Path home() {
        return home;
    }

    /** The dist jar the tests submit (built in the package phase). */
    static Path distJar() {
        return Path.of(System.getProperty("sparktune.dist.jar"));
    }

    /** What a process started against this installation needs in its environment: SPARK_HOME and the rest. */
    void environment(Map<String, String> env) throws IOException {
        env.put("SPARK_HOME", home.toString());
        env.put(
                "SPARK_DIST_CLASSPATH",
                Files.readString(Path.of(System.getProperty("sparktune.cluster.classpath")))
                        .strip());
        env.put("SPARKTUNE_JAR", distJar().toString());
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
    }
}
