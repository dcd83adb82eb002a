package dev.sparktune.pipeline.cli;

import dev.sparktune.pipeline.config.SparkTuneConfig;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A verb that runs one job in a SparkSession. The verb loads its configuration (or stops after a dry run) and states
 * its job and what it prints; {@link #run} does the rest the same way for every verb: the job in a session, then its
 * summary line on stderr and its output (JSON, file names, a report) alone on stdout, so stdout can be piped or saved
 * as it is. Its {@code @Command} attributes (help and version options) are inherited by every verb's own.
 */
@Command(mixinStandardHelpOptions = true, versionProvider = VersionProvider.class)
abstract class JobVerb implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    /** A job reported by a {@code summary} line on stderr and its {@code output} on stdout. */
    <T> int run(
            Optional<SparkTuneConfig> loaded,
            BiFunction<SparkTuneConfig, SparkSession, T> job,
            BiFunction<SparkTuneConfig, T, String> summary,
            Function<T, String> output) {
        if (loaded.isEmpty()) {
            return 0;
        }
        SparkTuneConfig config = loaded.get();
        T result = SparkSessions.withSession(config.spark(), spark -> job.apply(config, spark));
        if (summary != null) {
            PrintWriter err = spec.commandLine().getErr();
            err.println(summary.apply(config, result));
            err.flush();
        }
        PrintWriter out = spec.commandLine().getOut();
        String text = output.apply(result);
        // A multi-line report already ends its last line; JSON and file names do not.
        out.print(text.endsWith("\n") ? text : text + System.lineSeparator());
        out.flush();
        return 0;
    }

    /** A job whose {@code output} on stdout says all there is to say (it reports its progress itself). */
    <T> int run(
            Optional<SparkTuneConfig> loaded,
            BiFunction<SparkTuneConfig, SparkSession, T> job,
            Function<T, String> output) {
        return run(loaded, job, null, output);
    }
}
