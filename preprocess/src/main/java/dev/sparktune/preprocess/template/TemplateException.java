package dev.sparktune.preprocess.template;

import dev.sparktune.preprocess.PreprocessException;

/** A chat template failed for one conversation (its own {@code raise_exception}, a type error, ...). */
public class TemplateException extends PreprocessException {
    public TemplateException(String message) {
        super(message);
    }

    public TemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
