package dev.sparktune.preprocess.template.jinja;

import dev.sparktune.preprocess.template.TemplateException;

/** The template called {@code raise_exception(message)}; the exception message is the template's own message. */
public class TemplateRaisedError extends TemplateException {
    TemplateRaisedError(String message) {
        super(message);
    }
}
