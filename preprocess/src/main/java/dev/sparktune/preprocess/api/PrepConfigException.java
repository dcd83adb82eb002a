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
    /**
     * @param key     the setting, as section.name
     * @param message what is wrong and what to do, without the key
     * @param allowed for a value outside its own range, what the key allows (a config reader words it with the value
     *                as the user wrote it); null for a missing value or a problem between keys
     */
    public record Problem(String key, String message, String allowed) {
        @Override
        public String toString() {
            return key + ": " + message;
        }
    }

    private final List<Problem> problems;

    PrepConfigException(List<Problem> problems) {
        super(problems.stream().map(Problem::toString).collect(Collectors.joining("; ")));
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }
}
