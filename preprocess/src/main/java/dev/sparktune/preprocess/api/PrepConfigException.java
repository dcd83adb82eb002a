package dev.sparktune.preprocess.api;

import dev.sparktune.preprocess.PreprocessException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A {@link PrepConfig} that cannot be built, with every problem found, each under the key it is about, named by its
 * config section and LLaMA-Factory's name ({@code data.cutoff_len}, {@code prep.partitions}), so a config reader can
 * report each under its own key path.
 */
public final class PrepConfigException extends PreprocessException {
    private final List<SettingProblems.Problem> problems;

    PrepConfigException(List<SettingProblems.Problem> problems) {
        super(problems.stream().map(SettingProblems.Problem::toString).collect(Collectors.joining("; ")));
        this.problems = List.copyOf(problems);
    }

    public List<SettingProblems.Problem> problems() {
        return problems;
    }
}
