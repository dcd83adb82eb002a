package dev.sparktune.pipeline.cli;

import dev.sparktune.dl4j.model.ModelException;
import dev.sparktune.pipeline.PipelineException;
import dev.sparktune.preprocess.PreprocessException;
import dev.sparktune.trainer.TrainerException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Maps what a verb threw to the exit status: a problem with the user's configuration or inputs (bad config, unknown
 * dataset or bad dataset_info.json entry, missing tokenizer files or chat template, nothing usable in the inputs; a
 * table that is missing or not a packed table, a checkpoint of another run, too few task slots for world_size, a
 * memory plan over budget, a model directory whose config.json or weights cannot be used) is theirs to fix: message
 * only, status 2. Anything else is a job failure or a bug: message and stack trace, status 1.
 *
 * <p>Which is which is decided by the exception's class alone: each module has one root for the errors its user must
 * fix ({@link #USER_ERROR_ROOTS}), the rest are failures. A bare {@link IllegalArgumentException} or
 * {@link IllegalStateException} is a broken precondition, i.e. a bug, and keeps its trace; so do a collective that
 * broke ({@code CollectiveException}) and a loss that is not finite ({@code NonFiniteLossException}).
 */
final class FailureHandler implements IExecutionExceptionHandler {
    /** The user-error root of each module: dl4j-ext, preprocess, trainer, pipeline. */
    static final List<Class<? extends RuntimeException>> USER_ERROR_ROOTS =
            List.of(ModelException.class, PreprocessException.class, TrainerException.class, PipelineException.class);

    @Override
    public int handleExecutionException(Exception exception, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        String verb = commandLine.getCommandName();
        if (isUserError(exception)) {
            err.println(exception.getMessage());
            err.flush();
            return SparkTuneCli.EXIT_USAGE;
        }
        err.println("sparktune " + verb + " failed: " + exception);
        exception.printStackTrace(err);
        err.flush();
        return SparkTuneCli.EXIT_JOB_FAILED;
    }

    static boolean isUserError(Throwable exception) {
        return USER_ERROR_ROOTS.stream().anyMatch(root -> root.isInstance(exception));
    }
}
