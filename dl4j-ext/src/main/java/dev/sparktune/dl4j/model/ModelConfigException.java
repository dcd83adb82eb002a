package dev.sparktune.dl4j.model;

/** A {@code config.json} field is missing, has the wrong type, or has a value we cannot train with. */
public final class ModelConfigException extends ModelException {
    private static final long serialVersionUID = 1L;
    private final String field;

    /** @param source where the config came from (a path, or a description) */
    ModelConfigException(String source, String field, String message) {
        super(source, message, null);
        this.field = field;
    }

    /** The offending JSON field. */
    public String field() {
        return field;
    }
}
