package dev.sparktune.trainer.checkpoint;

import dev.sparktune.trainer.TrainerException;

/**
 * A checkpoint cannot be written, read or used for this run: the message names the checkpoint directory and what to
 * do (choose another output_dir, set overwrite_output_dir, point resume_from_checkpoint elsewhere).
 */
public final class CheckpointException extends TrainerException {
    private final String checkpoint;
    private final boolean uncommitted;

    public CheckpointException(String checkpoint, String message) {
        this(checkpoint, message, null, false);
    }

    public CheckpointException(String checkpoint, String message, Throwable cause) {
        this(checkpoint, message, cause, false);
    }

    private CheckpointException(String checkpoint, String message, Throwable cause, boolean uncommitted) {
        super(message, cause);
        this.checkpoint = checkpoint;
        this.uncommitted = uncommitted;
    }

    /**
     * The directory is not a complete checkpoint (no marker, a marker that does not vouch for the manifest, a shard
     * missing or of the wrong size): a save that never finished, skipped when looking for the newest one.
     */
    static CheckpointException uncommitted(String checkpoint, String message) {
        return new CheckpointException(checkpoint, message, null, true);
    }

    /** True for an incomplete save, false for a failure to read (I/O, credentials) or a foreign format. */
    public boolean isUncommitted() {
        return uncommitted;
    }

    /** The checkpoint directory (or output_dir) concerned. */
    public String checkpoint() {
        return checkpoint;
    }
}
