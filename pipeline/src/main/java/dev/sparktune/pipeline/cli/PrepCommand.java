package dev.sparktune.pipeline.cli;

import dev.sparktune.pipeline.config.Verb;
import dev.sparktune.preprocess.api.PrepJob;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code sparktune prep}: datasets in, the packed Delta table, its rejects table and the stats JSON out. */
@Command(
        name = "prep",
        description = "Read, template, tokenize, mask and pack the datasets into a Delta table (plus a rejects "
                + "table and a stats JSON, printed at the end).")
final class PrepCommand extends JobVerb {

    @Override
    public Integer call() {
        return run(
                options.load(
                        options.sources(),
                        Verb.PREP,
                        c -> InputPathCheck.forPrep(c.prep(), c.spark()),
                        c -> List.of(
                                "prep config hash (the table's sparktune.prep_config_hash): " + c.prepConfigHash()),
                        spec),
                (c, spark) -> PrepJob.run(spark, c.prep()),
                (c, r) -> r.committed()
                        ? "prep: committed version " + r.tableVersion() + " of "
                                + c.prep().outputs().table()
                        : "prep: " + c.prep().outputs().table() + " already holds this run's data (version "
                                + r.tableVersion() + "); nothing written",
                r -> PrepJob.toJson(r.stats()));
    }
}
