package dev.sparktune.dl4j.collective;

/**
 * A collective could not complete: a peer did not connect or stalled past the timeout, failed authentication, closed
 * its connection, or the task was cancelled. The message names the rank and peer involved.
 */
public class CollectiveException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CollectiveException(String message) {
        super(message);
    }

    public CollectiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
