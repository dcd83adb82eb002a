package dev.sparktune.pipeline.cli;

import dev.sparktune.pipeline.config.SparkTuneConfig;
import dev.sparktune.pipeline.config.Verb;
import dev.sparktune.trainer.eval.EvalConfig;
import dev.sparktune.trainer.eval.EvalJob;
import dev.sparktune.trainer.eval.EvalResult;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sparktune eval}: loss, perplexity and generated-answer accuracy of a model on the table's eval split. */
@Command(name = "eval",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Evaluate model.model_name_or_path (with model.adapter_name_or_path merged in, if set) on the eval "
                + "split of eval.table on the executors: loss and perplexity over every supervised token, and for "
                + "eval.max_samples documents a generated answer to the last assistant turn scored by exact match and "
                + "contains against the reference. Prints the metrics as JSON; writes eval_results.json and "
                + "generated_predictions.jsonl to eval.output_dir when set.")
final class EvalCommand implements Callable<Integer> {
    @Mixin
    private ConfigOptions options;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Optional<SparkTuneConfig> loaded = options.load(Verb.EVAL, c -> InputPathCheck.forEval(c.eval(), c.spark()),
                spec);
        if (loaded.isEmpty()) {
            return 0;
        }
        SparkTuneConfig config = loaded.get();
        EvalConfig eval = config.eval();
        EvalResult result = SparkSessions.withSession(config.spark(), spark -> EvalJob.run(spark, eval));
        err.printf("eval: %d eval documents, loss %.4f, perplexity %.2f; exact match %s over %d generated%n",
                result.docs(), result.evalLoss(), result.perplexity(),
                Double.isNaN(result.exactMatch()) ? "n/a" : String.format("%.1f%%", 100 * result.exactMatch()),
                result.generated());
        err.flush();
        out.println(result.toJson());
        out.flush();
        return 0;
    }
}
