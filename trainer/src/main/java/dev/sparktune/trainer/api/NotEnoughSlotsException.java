package dev.sparktune.trainer.api;

import dev.sparktune.trainer.TrainerException;

/**
 * The application cannot run world_size barrier tasks at once (Spark would otherwise wait for slots that never come).
 * The message names the master, the cores and what to change.
 */
public final class NotEnoughSlotsException extends TrainerException {
    private final int worldSize;
    private final int slots;

    public NotEnoughSlotsException(int worldSize, int slots, String message) {
        super(message);
        this.worldSize = worldSize;
        this.slots = slots;
    }

    public int worldSize() {
        return worldSize;
    }

    /** Concurrent task slots the application had. */
    public int slots() {
        return slots;
    }
}
