package dev.sparktune.pipeline.cli;

import dev.sparktune.pipeline.config.ConfigException;
import dev.sparktune.pipeline.config.ConfigProblem;
import dev.sparktune.pipeline.config.SparkTuneConfig;
import dev.sparktune.pipeline.config.Verb;
import dev.sparktune.preprocess.api.TableInspector;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sparktune inspect TABLE}: a packed table's properties, per-split stats and decoded rows. */
@Command(
        name = "inspect",
        description = "Print a packed table's properties and per-split statistics, then N rows decoded document by "
                + "document with the trained (labelled) spans marked " + TableInspector.TRAIN_OPEN + "…"
                + TableInspector.TRAIN_CLOSE + ", to check masking.")
final class InspectCommand extends JobVerb {

    @Parameters(index = "0", paramLabel = "TABLE", description = "The packed Delta table's path (a prep output_table).")
    private String table;

    @Option(
            names = "--rows",
            paramLabel = "N",
            defaultValue = "3",
            description = "Rows to decode (0: statistics only). Default: ${DEFAULT-VALUE}.")
    private int rows;

    @Option(
            names = "--model",
            paramLabel = "DIR",
            description = "Model directory whose tokenizer decodes the rows. Default: the one recorded in the table "
                    + "(it must match the table's tokenizer sha256 either way).")
    private String model;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (rows < 0) {
            throw new ConfigException(List.of(new ConfigProblem("--rows", "must be >= 0, got " + rows)));
        }
        SparkTuneConfig config = SparkTuneConfig.load(options.sources(), Verb.INSPECT);
        ConfigOptions.printWarnings(config, err);
        if (options.isDryRun()) {
            return ConfigOptions.printDryRun(
                    config,
                    List.of("found " + InputPathCheck.forInspect(table, model, config.spark())),
                    "table found",
                    out,
                    err);
        }
        return run(
                Optional.of(config), (c, spark) -> TableInspector.report(spark, table, rows, model), report -> report);
    }
}
