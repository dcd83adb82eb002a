package dev.sparktune.trainer.api;

/**
 * A launch whose memory plan exceeds what each rank may allocate, refused before any Spark job runs (the kernel's or
 * YARN's OOM killer would otherwise end it later, without a message). {@link #required()} is the bytes one rank
 * would hold, {@link #available()} the bytes one rank may allocate. The message gives the plan, the budget and the
 * settings that would fit.
 */
public final class NotEnoughMemoryException extends LaunchDoesNotFitException {
    public NotEnoughMemoryException(long plannedPerRank, long budgetPerRank, String message) {
        super(plannedPerRank, budgetPerRank, message);
    }
}
