package dev.sparktune.pipeline.config;

import com.typesafe.config.ConfigValue;
import dev.sparktune.trainer.api.SettingValue;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Reads the {@code run}, {@code init_model} and {@code synthetic_data} sections into {@link RunSettings}. */
final class RunSection {
    private static final List<String> STAGES = SettingValue.keys(RunSettings.Stage.class);

    private RunSection() {}

    /**
     * Whether {@code run.stages} names {@code stage}, read without reporting: {@link #read} reports a bad value.
     */
    static boolean listsStage(ValueReader reader, RunSettings.Stage stage) {
        ConfigValue value = reader.raw("run.stages");
        if (value == null) {
            return false;
        }
        Object items = value.unwrapped();
        List<?> names = items instanceof List<?> list
                ? list
                : items instanceof String text ? List.of(text.split(",")) : List.of();
        return names.stream().anyMatch(n -> String.valueOf(n).strip().equalsIgnoreCase(stage.key()));
    }

    /**
     * Null when {@code verb} is not run or a problem was reported.
     *
     * @param referenceForPairs the train or eval stage needs reference log-probs (a table of pairs, a pref_loss
     *                          with a reference): a ref_logprobs stage is added before the first of them when
     *                          run.stages lacks one
     */
    static RunSettings read(ValueReader reader, Verb verb, String trainOutputDir, boolean referenceForPairs) {
        List<String> names = reader.names("run.stages", "a list of stages from " + String.join(", ", STAGES));
        boolean evalBase = reader.bool("run.eval_base");
        String stateFile = reader.text("run.state_file", "a file path (local path or Hadoop URI), or \"\"");
        String arch = reader.text("init_model.architecture", "an HF architecture name, or \"\"");
        String tokenizer = reader.text("init_model.tokenizer", "a tokenizer directory");
        long hidden = reader.wholeNumber("init_model.hidden_size", 2, 1 << 16);
        long inter = reader.wholeNumber("init_model.intermediate_size", 1, 1 << 18);
        long layers = reader.wholeNumber("init_model.num_hidden_layers", 1, 1024);
        long heads = reader.wholeNumber("init_model.num_attention_heads", 1, 1024);
        long kvHeads = reader.wholeNumber("init_model.num_key_value_heads", 1, 1024);
        Double std = reader.number("init_model.initializer_range", "a number > 0");
        long initSeed = reader.wholeNumber("init_model.seed", Long.MIN_VALUE, Long.MAX_VALUE);
        String dataDir = reader.text("synthetic_data.output_dir", "a directory (local path), or \"\"");
        long examples = reader.wholeNumber("synthetic_data.examples", 10, 10_000_000);
        long dataSeed = reader.wholeNumber("synthetic_data.seed", Long.MIN_VALUE, Long.MAX_VALUE);
        if (std != null && !(std > 0 && std < Double.POSITIVE_INFINITY)) {
            reader.fail("init_model.initializer_range", reader.raw("init_model.initializer_range"), "a number > 0");
        }

        List<RunSettings.Stage> stages = new ArrayList<>();
        if (names != null) {
            for (String name : names) {
                int index = STAGES.indexOf(name.toLowerCase(Locale.ROOT));
                if (index < 0) {
                    reader.fail("run.stages", "unknown stage \"" + name + "\"; allowed: " + String.join(", ", STAGES));
                } else if (!stages.isEmpty() && stages.get(stages.size() - 1).ordinal() >= index) {
                    reader.fail(
                            "run.stages",
                            "\"" + name + "\" is listed twice or out of order; stages run in the " + "order "
                                    + String.join(", ", STAGES));
                } else {
                    stages.add(RunSettings.Stage.values()[index]);
                }
            }
        }
        if (verb == Verb.RUN) {
            if (names != null && names.isEmpty()) {
                reader.fail("run.stages", "required by run: at least one stage from " + String.join(", ", STAGES));
            }
            if (stages.contains(RunSettings.Stage.INIT_MODEL) && ("".equals(arch) || "".equals(tokenizer))) {
                reader.fail(
                        "init_model.architecture",
                        "the init_model stage needs init_model.architecture and " + "init_model.tokenizer");
            }
            if (stages.contains(RunSettings.Stage.SYNTHETIC_DATA) && "".equals(dataDir)) {
                reader.fail("synthetic_data.output_dir", "the synthetic_data stage needs the directory to write");
            }
        }
        if (verb != Verb.RUN || reader.hasProblems()) {
            return null;
        }
        if (referenceForPairs && !stages.contains(RunSettings.Stage.REF_LOGPROBS)) {
            stages.add(RunSettings.Stage.REF_LOGPROBS);
            stages.sort(Comparator.naturalOrder()); // the pipeline's order is the enum's
        }
        RunSettings.InitModel init = arch.isEmpty()
                ? null
                : new RunSettings.InitModel(
                        arch,
                        tokenizer,
                        (int) hidden,
                        (int) inter,
                        (int) layers,
                        (int) heads,
                        (int) kvHeads,
                        std,
                        initSeed);
        RunSettings.SyntheticData data =
                dataDir.isEmpty() ? null : new RunSettings.SyntheticData(dataDir, (int) examples, dataSeed);
        String state = stateFile.isEmpty() && trainOutputDir != null
                ? trainOutputDir.replaceAll("/+$", "") + "/run_state.json"
                : stateFile;
        return new RunSettings(stages, evalBase, state, init, data);
    }
}
