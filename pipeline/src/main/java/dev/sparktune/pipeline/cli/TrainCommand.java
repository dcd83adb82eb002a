package dev.sparktune.pipeline.cli;

import dev.sparktune.pipeline.config.Verb;
import dev.sparktune.trainer.api.TrainJob;
import picocli.CommandLine.Command;

/**
 * {@code sparktune train}: the packed table in, a PEFT adapter or HF model directory out, trained by one barrier
 * stage of world_size ranks; resumes from the newest committed checkpoint in output_dir.
 */
@Command(
        name = "train",
        description = "Fine-tune the model on the packed Delta table (full or LoRA) with world_size ranks in one "
                + "Spark barrier stage; write the adapter or model, trainer_log.jsonl and checkpoints to output_dir. "
                + "Resumes from the newest committed checkpoint there unless overwrite_output_dir is set. Prints a "
                + "JSON summary at the end.")
final class TrainCommand extends JobVerb {
    @Override
    public Integer call() {
        return run(
                options.load(
                        options.sources(),
                        Verb.TRAIN,
                        c -> InputPathCheck.forTrain(c.train(), c.spark()),
                        c -> MemoryReport.forTrain(c.train(), c.spark(), c.cutoffLen()),
                        spec),
                (c, spark) -> TrainJob.run(spark, c.train()),
                (c, r) -> "train: " + c.train().finetuning().type().key() + " output in " + r.outputDir()
                        + (r.firstStep() > 0 ? " (resumed after step " + r.firstStep() + ")" : ""),
                r -> r.toJson().toString());
    }
}
