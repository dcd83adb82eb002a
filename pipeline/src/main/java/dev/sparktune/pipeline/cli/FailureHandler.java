package dev.sparktune.pipeline.cli;

import dev.sparktune.dl4j.model.ModelException;
import dev.sparktune.pipeline.config.ConfigException;
import dev.sparktune.preprocess.source.DatasetException;
import dev.sparktune.trainer.api.NotEnoughMemoryException;
import dev.sparktune.trainer.api.NotEnoughSlotsException;
import dev.sparktune.trainer.checkpoint.CheckpointException;
import dev.sparktune.trainer.data.TrainDataException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;

/**
 * Maps what a verb threw to the exit status: a problem with the user's configuration or inputs (bad config, unknown
 * dataset or bad dataset_info.json entry, missing tokenizer files or chat template, nothing usable in the inputs; a
 * table that is missing or not a packed table, a checkpoint of another run, too few task slots for world_size, a
 * memory plan over budget, a model directory whose config.json or weights cannot be used) is theirs to fix: message
 * only, status 2. Anything else is a job failure: message and stack trace, status 1.
 */
final class FailureHandler implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception exception, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        String verb = commandLine.getCommandName();
        if (exception instanceof ConfigException || exception instanceof DatasetException
                || exception instanceof IllegalArgumentException || exception instanceof TrainDataException
                || exception instanceof CheckpointException || exception instanceof NotEnoughSlotsException
                || exception instanceof NotEnoughMemoryException || exception instanceof ModelException) {
            err.println(exception.getMessage());
            err.flush();
            return SparkTuneCli.EXIT_USAGE;
        }
        err.println("sparktune " + verb + " failed: " + exception);
        exception.printStackTrace(err);
        err.flush();
        return SparkTuneCli.EXIT_JOB_FAILED;
    }
}
