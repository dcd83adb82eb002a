package dev.sparktune.trainer.api;

/**
 * The application cannot run world_size barrier tasks at once (Spark would otherwise wait for slots that never come).
 * {@link #required()} is world_size, {@link #available()} the concurrent task slots the application had. The message
 * names the master, the cores and what to change.
 */
public final class NotEnoughSlotsException extends LaunchDoesNotFitException {
    public NotEnoughSlotsException(int worldSize, int slots, String message) {
        super(worldSize, slots, message);
    }
}
