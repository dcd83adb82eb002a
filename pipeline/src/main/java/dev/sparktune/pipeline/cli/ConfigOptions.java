package dev.sparktune.pipeline.cli;

import dev.sparktune.pipeline.config.ConfigProblem;
import dev.sparktune.pipeline.config.ConfigSources;
import dev.sparktune.pipeline.config.SparkTuneConfig;
import dev.sparktune.pipeline.config.Verb;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** The options every verb takes: where the configuration comes from, and whether to stop after checking it. */
final class ConfigOptions {

    @Option(
            names = {"-c", "--config"},
            paramLabel = "FILE",
            description = "Configuration file: a SparkTune .conf (HOCON, settings under sparktune { }) or a "
                    + "LLaMA-Factory .yaml/.yml/.json (flat keys, mapped); a local path or a Hadoop URI "
                    + "(s3a://bucket/job.conf, hdfs://..., read with spark-submit's spark.hadoop.* settings). "
                    + "Defaults: reference.conf.")
    private String config;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "Override one setting (repeatable; a later one wins), the key relative to sparktune, "
                    + "e.g. --set data.cutoff_len=1024 --set 'data.dataset=[a, b]'. Numbers, booleans, null, "
                    + "[lists], {objects} and \"quoted strings\" are parsed as HOCON, anything else is a string.")
    private List<String> overrides = new ArrayList<>();

    @Option(
            names = "--dry-run",
            description = "Load and validate the configuration, check that the inputs exist, print the resolved "
                    + "configuration, and stop without starting Spark.")
    private boolean dryRun;

    ConfigSources sources() {
        return ConfigSources.of(config, overrides);
    }

    boolean isDryRun() {
        return dryRun;
    }

    /**
     * The dry run's report: what was checked (stderr, one line each), that nothing ran, and the resolved
     * configuration (stdout, alone, so it can be saved as a file).
     *
     * @param checked what the checks found or computed, one line each
     * @param found   what the last line says was found ("inputs found", "table found")
     */
    static int printDryRun(
            SparkTuneConfig config, List<String> checked, String found, PrintWriter out, PrintWriter err) {
        checked.forEach(err::println);
        err.println("dry run: configuration valid, " + found + "; Spark not started");
        err.flush();
        out.print(config.render());
        out.flush();
        return 0;
    }

    /**
     * Loads and validates the configuration from these options for {@code verb}, prints its warnings and checks the
     * verb's inputs ({@code inputs}: one line per input found; it throws naming what is missing). With --dry-run it
     * prints the report and returns empty: the verb stops there.
     */
    Optional<SparkTuneConfig> load(Verb verb, Function<SparkTuneConfig, List<String>> inputs, CommandSpec spec) {
        return load(sources(), verb, inputs, spec);
    }

    /** {@link #load(Verb, Function, CommandSpec)} from other sources (a config file given as a parameter). */
    Optional<SparkTuneConfig> load(
            ConfigSources sources, Verb verb, Function<SparkTuneConfig, List<String>> inputs, CommandSpec spec) {
        return load(sources, verb, inputs, c -> List.of(), spec);
    }

    /**
     * {@link #load(ConfigSources, Verb, Function, CommandSpec)} whose dry run also prints {@code plan}'s lines (the
     * training memory plan; it throws when the plan cannot run).
     */
    Optional<SparkTuneConfig> load(
            ConfigSources sources,
            Verb verb,
            Function<SparkTuneConfig, List<String>> inputs,
            Function<SparkTuneConfig, List<String>> plan,
            CommandSpec spec) {
        PrintWriter err = spec.commandLine().getErr();
        SparkTuneConfig config = SparkTuneConfig.load(sources, verb);
        printWarnings(config, err);
        List<String> found = inputs.apply(config);
        if (isDryRun()) {
            List<String> lines =
                    new ArrayList<>(found.stream().map(line -> "found " + line).toList());
            lines.addAll(plan.apply(config));
            printDryRun(config, lines, "inputs found", spec.commandLine().getOut(), err);
            return Optional.empty();
        }
        return Optional.of(config);
    }

    static void printWarnings(SparkTuneConfig config, PrintWriter err) {
        for (ConfigProblem warning : config.warnings()) {
            err.println("warning: " + warning);
        }
        err.flush();
    }
}
