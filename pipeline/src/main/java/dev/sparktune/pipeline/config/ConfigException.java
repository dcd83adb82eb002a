package dev.sparktune.pipeline.config;

import dev.sparktune.pipeline.PipelineException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The configuration cannot be used: every problem found, reported together. Thrown before any Spark work starts; the
 * CLI prints {@link #getMessage()} and exits with status 2.
 */
public class ConfigException extends PipelineException {
    private final List<ConfigProblem> problems;

    public ConfigException(List<ConfigProblem> problems) {
        super(describe(problems));
        this.problems = List.copyOf(problems);
        if (this.problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
    }

    /** Every problem found, in the order found. */
    public List<ConfigProblem> problems() {
        return problems;
    }

    private static String describe(List<ConfigProblem> problems) {
        String header = problems.size() == 1
                ? "Invalid configuration (1 problem):"
                : "Invalid configuration (" + problems.size() + " problems):";
        return problems.stream().map(p -> "  " + p).collect(Collectors.joining("\n", header + "\n", ""));
    }
}
