package dev.sparktune.dl4j.model;

/**
 * Root of every user-facing error in dl4j-ext (bad config, bad model directory, bad tensor file). The input the error
 * is about is {@link #source()}; subclasses keep the other offending values as fields; messages come from
 * {@link ModelErrors} and say what was asked, what is allowed and what to do.
 */
public class ModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String source;

    public ModelException(String message) {
        this(null, message, null);
    }

    public ModelException(String message, Throwable cause) {
        this(null, message, cause);
    }

    /** @param source the config, model directory or tensor file the error is about (a path, or a description) */
    ModelException(String source, String message, Throwable cause) {
        super(message, cause);
        this.source = source;
    }

    /**
     * The config, model directory or tensor file the error is about (a path, or a description); null for an error
     * built from a message alone.
     */
    public String source() {
        return source;
    }
}
