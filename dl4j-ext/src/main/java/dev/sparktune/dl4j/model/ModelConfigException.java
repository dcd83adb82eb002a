package dev.sparktune.dl4j.model;

/** A {@code config.json} field is missing, has the wrong type, or has a value we cannot train with. */
public final class ModelConfigException extends ModelException {
    private static final long serialVersionUID = 1L;
    private final String source;
    private final String field;

    ModelConfigException(String source, String field, String message) {
        super(message);
        this.source = source;
        this.field = field;
    }

    /** Where the config came from (a path, or a description). */
    public String source() {
        return source;
    }

    /** The offending JSON field. */
    public String field() {
        return field;
    }
}
