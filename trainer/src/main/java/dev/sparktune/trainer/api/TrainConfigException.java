package dev.sparktune.trainer.api;

import dev.sparktune.trainer.TrainerException;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A {@link TrainConfig} that cannot be built, with every problem found, each under the key it is about (LLaMA-Factory's
 * / transformers' names: {@code fsdp}, {@code loraplus_lr_ratio}, ...), so a config reader can report them under its own
 * key paths.
 */
public final class TrainConfigException extends TrainerException {
    /**
     * @param key     the setting, by its LLaMA-Factory / transformers name
     * @param message what is wrong and what to do, without the key
     * @param allowed for a value outside its own range, what the key allows (a config reader words it with the value
     *                as the user wrote it); null for a problem between keys
     */
    public record Problem(String key, String message, String allowed) {
        public Problem(String key, String message) {
            this(key, message, null);
        }

        static Problem badValue(String key, Object value, String allowed) {
            return new Problem(key, "invalid value " + value + "; allowed: " + allowed, allowed);
        }

        @Override
        public String toString() {
            return key + ": " + message;
        }
    }

    private final List<Problem> problems;

    public TrainConfigException(List<Problem> problems) {
        super(problems.stream().map(Problem::toString).collect(Collectors.joining("; ")));
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }

    /**
     * The key a part's message is about: LoRA's, freeze's and AdamW's messages begin with the key they concern;
     * the first of {@code keys} the message starts with, else the first.
     */
    public static String keyOf(String message, String... keys) {
        String text = String.valueOf(message);
        return Arrays.stream(keys).filter(text::startsWith).findFirst().orElse(keys[0]);
    }
}
