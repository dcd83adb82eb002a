package dev.sparktune.pipeline.cli;

import dev.sparktune.pipeline.config.SparkTuneConfig;
import dev.sparktune.pipeline.config.Verb;
import dev.sparktune.trainer.reference.RefLogProbsConfig;
import dev.sparktune.trainer.reference.RefLogProbsJob;
import dev.sparktune.trainer.reference.RefLogProbsResult;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sparktune ref-logprobs}: the reference model's log-prob of every document of the packed table. */
@Command(name = "ref-logprobs",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Score every document of train.table (both splits of its latest version) with the reference "
                + "model (train.ref_model, by default model.model_name_or_path, with train.ref_model_adapters merged "
                + "in) on the executors, train.world_size tasks of one model each: the summed log-prob of each "
                + "document's supervised tokens and their count, written to the Delta table "
                + "train.ref_logprobs_table keyed by doc_id, with the table version and the model's fingerprint in "
                + "its properties. Preference training reads them instead of holding a second model.")
final class RefLogProbsCommand implements Callable<Integer> {
    @Mixin
    private ConfigOptions options;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Optional<SparkTuneConfig> loaded = options.load(Verb.REF_LOGPROBS,
                c -> InputPathCheck.forRefLogProbs(c.refLogProbs(), c.spark()), spec);
        if (loaded.isEmpty()) {
            return 0;
        }
        SparkTuneConfig config = loaded.get();
        RefLogProbsConfig ref = config.refLogProbs();
        RefLogProbsResult r = SparkSessions.withSession(config.spark(), spark -> RefLogProbsJob.run(spark, ref));
        err.printf("ref-logprobs: %d documents, %d supervised tokens of %s version %d in %.1f s (%.0f tokens/s); "
                        + "%s version %d%n", r.documents(), r.tokens(), ref.table(), r.sourceVersion(), r.seconds(),
                r.tokensPerSecond(), r.outputTable(), r.version());
        err.flush();
        out.printf("{\"output_table\": \"%s\", \"version\": %d, \"source_version\": %d, \"documents\": %d, "
                        + "\"tokens\": %d}%n", r.outputTable(), r.version(), r.sourceVersion(), r.documents(),
                r.tokens());
        out.flush();
        return 0;
    }
}
