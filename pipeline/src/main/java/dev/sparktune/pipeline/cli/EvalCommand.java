package dev.sparktune.pipeline.cli;

import dev.sparktune.pipeline.config.Verb;
import dev.sparktune.trainer.eval.EvalJob;
import dev.sparktune.trainer.preference.PairScoring;
import picocli.CommandLine.Command;

/** {@code sparktune eval}: loss, perplexity and generated-answer accuracy of a model on the table's eval split. */
@Command(
        name = "eval",
        description =
                "Evaluate model.model_name_or_path (with model.adapter_name_or_path merged in, if set) on the eval "
                        + "split of eval.table on the executors: loss and perplexity over every supervised token, and for "
                        + "eval.max_samples documents a generated answer to the last assistant turn scored by exact match and "
                        + "contains against the reference; on a table of preference pairs also each pair's preference loss, "
                        + "reward accuracy and margin against the reference log-probs (ref-logprobs). Prints the metrics as "
                        + "JSON; writes eval_results.json and "
                        + "generated_predictions.jsonl to eval.output_dir when set.")
final class EvalCommand extends JobVerb {
    @Override
    public Integer call() {
        return run(
                options.load(Verb.EVAL, c -> InputPathCheck.forEval(c.eval(), c.spark()), spec),
                (c, spark) -> EvalJob.run(spark, c.eval()),
                (c, r) -> (r.pairs() == 0
                                ? ""
                                : String.format(
                                        "eval: %d pairs, preference loss %.4f, reward accuracy "
                                                + "%.1f%%, mean margin %.3f; ",
                                        r.pairs(),
                                        r.preference().get("loss"),
                                        100 * r.preference().get(PairScoring.ACCURACY),
                                        r.preference().get(PairScoring.MARGIN)))
                        + String.format(
                                "eval: %d eval documents, loss %.4f, perplexity %.2f; exact match %s over %d "
                                        + "generated",
                                r.docs(),
                                r.evalLoss(),
                                r.perplexity(),
                                Double.isNaN(r.exactMatch()) ? "n/a" : String.format("%.1f%%", 100 * r.exactMatch()),
                                r.generated()),
                r -> r.toJson().toString());
    }
}
