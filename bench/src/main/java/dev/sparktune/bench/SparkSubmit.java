package dev.sparktune.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Runs our CLI ({@code ./spark-submit.sh}) for the benches, one logged and locked {@link LoggedProcess} at a time. */
final class SparkSubmit {
    /** What spark-submit.sh prints when it builds the project before running. */
    private static final String BUILDING = "spark-submit.sh: building SparkTune";

    private final LoggedProcess processes;
    private final Consumer<String> progress;

    /** @param progress where the bench reports what it is doing */
    SparkSubmit(LoggedProcess processes, Consumer<String> progress) {
        this.processes = processes;
        this.progress = progress;
    }

    /**
     * Runs {@code launch} (the spark-submit.sh command line up to its verb, possibly under /usr/bin/time) with each
     * setting as a {@code --set}. The CLI rebuilds the project first when sources changed (other work goes on in this
     * tree), so a separate call builds it before the measured one: /usr/bin/time would count Maven's JVM otherwise.
     * Sources that change between the two calls make the measured one build too; then it runs again.
     *
     * @param dir  where NAME.out and NAME.err go
     * @param env  added to the CLI's environment
     */
    LoggedProcess.Logs run(Path dir, String name, Map<String, String> env, List<String> launch, List<String> settings)
            throws IOException, InterruptedException {
        processes.runLocked(dir, name + "-build", Map.of(), List.of("./spark-submit.sh", "--version"));
        List<String> command = new ArrayList<>(launch);
        for (String setting : settings) {
            command.add("--set");
            command.add(setting);
        }
        LoggedProcess.Logs logs = processes.runLocked(dir, name, env, command);
        if (Files.readString(logs.err(), StandardCharsets.UTF_8).contains(BUILDING)) {
            progress.accept(name + " built the project before running (sources changed); running it again");
            logs = processes.runLocked(dir, name, env, command);
        }
        return logs;
    }

    /** A path as a HOCON quoted string for a {@code --set} value: unquoted, "//" would start a comment. */
    static String quoted(Path path) {
        return "\"" + path + "\"";
    }
}
