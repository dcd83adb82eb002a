package dev.sparktune.pipeline.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.pipeline.config.ConfigSources;
import dev.sparktune.pipeline.config.RunSettings;
import dev.sparktune.pipeline.config.SparkTuneConfig;
import dev.sparktune.pipeline.config.Verb;
import dev.sparktune.pipeline.run.PipelineRun;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code sparktune run}: the whole pipeline in one application, resumable stage by stage (see {@link PipelineRun}).
 */
@Command(
        name = "run",
        description = "Run the pipeline's stages (run.stages, in order: synthetic_data, init_model, prep, "
                + "ref_logprobs, train, export, eval) in one Spark application. Each finished stage is recorded in run.state_file; running "
                + "again skips the stages finished with the same settings (train resumes from its newest checkpoint). "
                + "With run.eval_base the base model is evaluated too, so the report shows exact match before and "
                + "after training. Prints a JSON report at the end.")
final class RunCommand extends JobVerb {
    @Parameters(arity = "0..1", paramLabel = "CONF", description = "The config file, as an alternative to -c.")
    private String positionalConfig;

    @Override
    public Integer call() {
        if (positionalConfig != null && options.sources().file().isPresent()) {
            throw new ParameterException(spec.commandLine(), "give the config file once: either -c FILE or CONF");
        }
        Optional<SparkTuneConfig> loaded = options.load(
                positionalConfig == null
                        ? options.sources()
                        : ConfigSources.of(positionalConfig, options.sources().overrides()),
                Verb.RUN,
                c -> InputPathCheck.forRun(c.run(), c.prep(), c.train(), c.spark()),
                c -> !c.run().stages().contains(RunSettings.Stage.TRAIN)
                        ? List.of()
                        : c.run().initModel() == null
                                ? MemoryReport.forTrain(
                                        c.train(), c.spark(), c.prep().labels().cutoffLen())
                                : barrierStageOnly(c),
                spec);
        return run(
                loaded, (c, spark) -> new PipelineRun(c, spec.commandLine().getErr()).run(spark), ObjectNode::toString);
    }

    /** init_model creates the model: no memory plan before it exists, but what the barrier stage needs is checked. */
    private static List<String> barrierStageOnly(SparkTuneConfig c) {
        MemoryReport.requireBarrierStage(c.train(), c.spark());
        return List.of();
    }
}
