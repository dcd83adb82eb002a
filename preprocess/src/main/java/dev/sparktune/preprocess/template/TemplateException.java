package dev.sparktune.preprocess.template;

/** A chat template failed for one conversation (its own {@code raise_exception}, a type error, ...). */
public class TemplateException extends RuntimeException {
    public TemplateException(String message) {
        super(message);
    }

    public TemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
