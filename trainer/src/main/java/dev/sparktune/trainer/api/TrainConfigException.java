package dev.sparktune.trainer.api;

import dev.sparktune.preprocess.api.SettingProblems;
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
    private final List<SettingProblems.Problem> problems;

    public TrainConfigException(List<SettingProblems.Problem> problems) {
        super(problems.stream().map(SettingProblems.Problem::toString).collect(Collectors.joining("; ")));
        this.problems = List.copyOf(problems);
    }

    public List<SettingProblems.Problem> problems() {
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
