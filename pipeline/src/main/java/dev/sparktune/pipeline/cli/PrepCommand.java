package dev.sparktune.pipeline.cli;

import dev.sparktune.pipeline.config.SparkTuneConfig;
import dev.sparktune.pipeline.config.Verb;
import dev.sparktune.preprocess.api.PrepJob;
import dev.sparktune.preprocess.api.PrepResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code sparktune prep}: datasets in, the packed Delta table, its rejects table and the stats JSON out. */
@Command(name = "prep",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Read, template, tokenize, mask and pack the datasets into a Delta table (plus a rejects "
                + "table and a stats JSON, printed at the end).")
final class PrepCommand implements Callable<Integer> {

    @Mixin
    private ConfigOptions options;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SparkTuneConfig config = SparkTuneConfig.load(options.sources(), Verb.PREP);
        ConfigOptions.printWarnings(config, err);
        List<String> inputs = InputPathCheck.forPrep(config.prep(), config.spark());
        if (options.isDryRun()) {
            List<String> checked = new ArrayList<>(inputs.stream().map(line -> "found " + line).toList());
            checked.add("prep config hash (the table's sparktune.prep_config_hash): " + config.prepConfigHash());
            return ConfigOptions.printDryRun(config, checked, "inputs found", out, err);
        }
        PrepResult result = SparkSessions.withSession(config.spark(), spark -> PrepJob.run(spark, config.prep()));
        err.println(result.committed()
                ? "prep: committed version " + result.tableVersion() + " of " + config.prep().outputs().table()
                : "prep: " + config.prep().outputs().table() + " already holds this run's data (version "
                        + result.tableVersion() + "); nothing written");
        err.flush();
        out.println(PrepJob.toJson(result.stats()));
        out.flush();
        return 0;
    }
}
