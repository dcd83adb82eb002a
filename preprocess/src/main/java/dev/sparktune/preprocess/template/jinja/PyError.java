package dev.sparktune.preprocess.template.jinja;

/**
 * A Python-level error (TypeError, UndefinedError, ...) raised while evaluating; the interpreter turns it into a
 * {@link JinjaError} naming the template position and the construct.
 */
final class PyError extends RuntimeException {
    PyError(String message) {
        super(message);
    }
}
