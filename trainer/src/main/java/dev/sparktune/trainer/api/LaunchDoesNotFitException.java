package dev.sparktune.trainer.api;

import dev.sparktune.trainer.TrainerException;

/**
 * A launch refused before any Spark job runs because it asks for more than the application can give: what it
 * requires and what is available, in the unit each subclass names. Refusing up front is the point: left to run, the
 * job would wait or be killed later without saying why.
 */
public abstract class LaunchDoesNotFitException extends TrainerException {
    private final long required;
    private final long available;

    LaunchDoesNotFitException(long required, long available, String message) {
        super(message);
        this.required = required;
        this.available = available;
    }

    public long required() {
        return required;
    }

    public long available() {
        return available;
    }
}
