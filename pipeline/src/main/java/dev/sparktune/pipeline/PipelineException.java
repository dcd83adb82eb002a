package dev.sparktune.pipeline;

/**
 * Root of every error in pipeline that the user must fix: a configuration that cannot be used
 * ({@link dev.sparktune.pipeline.config.ConfigException}) and the problems with the run's settings found while it runs
 * (a stage that needs a local path, too few synthetic questions). The message says what is wrong and what to do; the
 * CLI prints it alone and exits with status 2.
 */
public class PipelineException extends RuntimeException {
    public PipelineException(String message) {
        super(message);
    }

    public PipelineException(String message, Throwable cause) {
        super(message, cause);
    }
}
