package dev.sparktune.trainer.api;

import dev.sparktune.trainer.TrainerException;

/**
 * A launch whose memory plan exceeds what each rank may allocate, refused before any Spark job runs (the kernel's or
 * YARN's OOM killer would otherwise end it later, without a message). The message gives the plan, the budget and
 * the settings that would fit.
 */
public final class NotEnoughMemoryException extends TrainerException {
    private final long plannedPerRank;
    private final long budgetPerRank;

    public NotEnoughMemoryException(long plannedPerRank, long budgetPerRank, String message) {
        super(message);
        this.plannedPerRank = plannedPerRank;
        this.budgetPerRank = budgetPerRank;
    }

    /** Bytes one rank would hold. */
    public long plannedPerRank() {
        return plannedPerRank;
    }

    /** Bytes one rank may allocate. */
    public long budgetPerRank() {
        return budgetPerRank;
    }
}
