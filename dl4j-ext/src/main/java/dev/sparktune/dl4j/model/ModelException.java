package dev.sparktune.dl4j.model;

/**
 * Root of every user-facing error in dl4j-ext (bad config, bad model directory, bad tensor file). Subclasses keep the
 * offending values as fields; messages come from {@link ModelErrors} and say what was asked, what is allowed and what
 * to do.
 */
public class ModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
