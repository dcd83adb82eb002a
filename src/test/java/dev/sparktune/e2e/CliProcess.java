package dev.sparktune.e2e;

import dev.sparktune.pipeline.cli.SparkTuneCli;
import dev.sparktune.testkit.RepoPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** The sparktune CLI in a JVM of its own (the project's JVM flags, this JVM's class path), as a user starts it. */
final class CliProcess {
    private CliProcess() {}

    static Process start(Path workingDir, List<String> args) throws IOException {
        return start(workingDir, List.of(), args);
    }

    /** @param jvmArgs extra JVM arguments, e.g. {@code -Dspark.hadoop.fs.s3a.endpoint=...} as spark-submit sets */
    static Process start(Path workingDir, List<String> jvmArgs, List<String> args) throws IOException {
        Properties jvm = new Properties();
        try (var in = Files.newBufferedReader(RepoPaths.resolve("conf/jvm.properties"))) {
            jvm.load(in);
        }
        List<String> command =
                new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx2g"));
        command.addAll(List.of(jvm.getProperty("sparktune.jvm.flags").split(" ")));
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), SparkTuneCli.class.getName()));
        command.addAll(args);
        return new ProcessBuilder(command)
                .directory(workingDir.toFile())
                .redirectErrorStream(true)
                .start();
    }
}
