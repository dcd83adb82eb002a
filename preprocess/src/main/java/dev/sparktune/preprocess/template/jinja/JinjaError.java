package dev.sparktune.preprocess.template.jinja;

import dev.sparktune.preprocess.template.TemplateException;

/**
 * A template could not be parsed or failed while rendering: the message names the template, the line and column
 * and the construct (filter, test, method, operator, statement) involved. Errors raised by the template itself
 * through {@code raise_exception(msg)} are a {@link TemplateRaisedError} instead and carry the template's words.
 */
public class JinjaError extends TemplateException {
    private final int line;
    private final int column;

    JinjaError(String templateName, Pos pos, String message) {
        super("template '" + templateName + "', " + (pos == null ? "" : pos + ": ") + message);
        this.line = pos == null ? 0 : pos.line();
        this.column = pos == null ? 0 : pos.column();
    }

    /** 1-based line of the failing construct, 0 if unknown. */
    public int line() {
        return line;
    }

    /** 1-based column of the failing construct, 0 if unknown. */
    public int column() {
        return column;
    }
}
