package dev.sparktune.dl4j.model;

import java.util.List;

/** {@code architectures[0]} (or a feature such as a rope type) is not one we implement. */
public final class UnsupportedArchitectureException extends ModelException {
    private static final long serialVersionUID = 1L;
    private final String requested;
    private final List<String> known;

    UnsupportedArchitectureException(String source, String requested, List<String> known, String message) {
        super(source, message, null);
        this.requested = requested;
        this.known = List.copyOf(known);
    }

    public String requested() {
        return requested;
    }

    public List<String> known() {
        return known;
    }
}
