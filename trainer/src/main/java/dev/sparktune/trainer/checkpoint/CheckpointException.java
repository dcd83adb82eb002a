package dev.sparktune.trainer.checkpoint;

/**
 * A checkpoint cannot be written, read or used for this run: the message names the checkpoint directory and what to
 * do (choose another output_dir, set overwrite_output_dir, point resume_from_checkpoint elsewhere).
 */
public final class CheckpointException extends RuntimeException {
    private final String checkpoint;

    public CheckpointException(String checkpoint, String message) {
        super(message);
        this.checkpoint = checkpoint;
    }

    public CheckpointException(String checkpoint, String message, Throwable cause) {
        super(message, cause);
        this.checkpoint = checkpoint;
    }

    /** The checkpoint directory (or output_dir) concerned. */
    public String checkpoint() {
        return checkpoint;
    }
}
