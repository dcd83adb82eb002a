package dev.sparktune.trainer;

/**
 * Root of every error in trainer that the user must fix: settings that cannot be combined
 * ({@link dev.sparktune.trainer.api.TrainConfigException}), a launch that cannot fit
 * ({@link dev.sparktune.trainer.api.LaunchDoesNotFitException}: not enough slots, or not enough memory per rank),
 * a table training cannot read ({@link dev.sparktune.trainer.data.TrainDataException}), a checkpoint this run cannot use
 * ({@link dev.sparktune.trainer.checkpoint.CheckpointException}), reference log-probs that do not match
 * ({@link dev.sparktune.trainer.reference.RefLogProbsException}), and the problems with the user's inputs that have no
 * family of their own (model and adapter directories, an export directory, a table with no rows to train or evaluate
 * on). The message says what is wrong and what to do; the CLI prints it alone and exits with status 2.
 *
 * <p>Failures of the job itself are not: a loss that is not finite
 * ({@link dev.sparktune.trainer.task.NonFiniteLossException}), a collective that broke, and programming errors
 * ({@link IllegalArgumentException} / {@link IllegalStateException}) keep their stack trace.
 */
public class TrainerException extends RuntimeException {
    public TrainerException(String message) {
        super(message);
    }

    public TrainerException(String message, Throwable cause) {
        super(message, cause);
    }
}
