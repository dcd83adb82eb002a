package dev.sparktune.pipeline.cli;

import dev.sparktune.pipeline.config.Verb;
import dev.sparktune.trainer.reference.RefLogProbsJob;
import picocli.CommandLine.Command;

/** {@code sparktune ref-logprobs}: the reference model's log-prob of every document of the packed table. */
@Command(
        name = "ref-logprobs",
        description = "Score every document of train.table (both splits of its version "
                + "train.ref_logprobs_table_version, by default the latest) with the reference "
                + "model (train.ref_model, by default model.model_name_or_path, with train.ref_model_adapters beside "
                + "it) on the executors, train.world_size tasks of one forward-only model each (frozen weights as the "
                + "checkpoint stores them), "
                + "train.ref_logprobs_batch_rows packed rows per forward: the summed log-prob of each document's "
                + "supervised tokens and their count, written to the Delta table "
                + "train.ref_logprobs_table keyed by doc_id, with the table version and the model's fingerprint in "
                + "its properties. Preference training reads them instead of holding a second model.")
final class RefLogProbsCommand extends JobVerb {
    @Override
    public Integer call() {
        return run(
                options.load(
                        Verb.REF_LOGPROBS,
                        c -> InputPathCheck.forRefLogProbs(c.refLogProbs(), c.preference(), c.spark()),
                        spec),
                (c, spark) -> RefLogProbsJob.run(spark, c.refLogProbs()),
                (c, r) -> String.format(
                        "ref-logprobs: %d documents, %d supervised tokens of %s version %d in %.1f s "
                                + "(%.0f tokens/s; %d rows per forward, %.1f MB of activations per task); %s version %d",
                        r.documents(),
                        r.tokens(),
                        c.refLogProbs().table(),
                        r.sourceVersion(),
                        r.seconds(),
                        r.tokensPerSecond(),
                        r.batchRows(),
                        r.activationBytesPerTask() / 1e6,
                        r.outputTable(),
                        r.version()),
                r -> r.toJson().toString());
    }
}
