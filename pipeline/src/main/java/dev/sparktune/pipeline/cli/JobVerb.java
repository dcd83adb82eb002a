package dev.sparktune.pipeline.cli;

import dev.sparktune.pipeline.config.SparkTuneConfig;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The rest of a verb that runs one job in a SparkSession, once its configuration is loaded: nothing after a dry run;
 * else the job, then its summary line on stderr and its output (JSON, file names, a report) alone on stdout, so
 * stdout can be piped or saved as it is.
 */
final class JobVerb {
    private JobVerb() {
    }

    /** A job reported by a {@code summary} line on stderr and its {@code output} on stdout. */
    static <T> int run(Optional<SparkTuneConfig> loaded, CommandSpec spec,
                       BiFunction<SparkTuneConfig, SparkSession, T> job, BiFunction<SparkTuneConfig, T, String> summary,
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
    static <T> int run(Optional<SparkTuneConfig> loaded, CommandSpec spec,
                       BiFunction<SparkTuneConfig, SparkSession, T> job, Function<T, String> output) {
        return run(loaded, spec, job, null, output);
    }
}
