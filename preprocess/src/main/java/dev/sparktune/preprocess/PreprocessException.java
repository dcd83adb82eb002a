package dev.sparktune.preprocess;

/**
 * Root of every error in preprocess that the user must fix: a dataset that cannot be resolved or opened
 * ({@link dev.sparktune.preprocess.source.DatasetException}), a chat template that cannot be used
 * ({@link dev.sparktune.preprocess.template.TemplateException}), and the problems with the user's inputs that have no
 * family of their own (tokenizer files, a table to inspect, data that leaves nothing to train on). The message says
 * what is wrong and what to do; the CLI prints it alone and exits with status 2. Programming errors stay
 * {@link IllegalArgumentException} / {@link IllegalStateException} and keep their stack trace.
 */
public class PreprocessException extends RuntimeException {
    public PreprocessException(String message) {
        super(message);
    }

    public PreprocessException(String message, Throwable cause) {
        super(message, cause);
    }
}
