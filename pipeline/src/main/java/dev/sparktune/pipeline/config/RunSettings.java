package dev.sparktune.pipeline.config;

import dev.sparktune.trainer.api.SettingValue;
import java.util.List;

/**
 * The {@code run} verb's plan: its stages in order, where it records finished stages, and the settings of the two
 * stages that only run uses (a random model, synthetic datasets).
 *
 * @param stateFile     the run's record of finished stages (any Hadoop FS)
 * @param initModel     null when init_model.architecture is ""
 * @param syntheticData null when synthetic_data.output_dir is ""
 */
public record RunSettings(
        List<Stage> stages, boolean evalBase, String stateFile, InitModel initModel, SyntheticData syntheticData) {
    public RunSettings {
        stages = List.copyOf(stages);
    }

    /** The pipeline's stages, in the only order they can run. */
    public enum Stage implements SettingValue {
        SYNTHETIC_DATA,
        INIT_MODEL,
        PREP,
        REF_LOGPROBS,
        TRAIN,
        EXPORT,
        EVAL;
    }

    /** The {@code init_model} section. */
    public record InitModel(
            String architecture,
            String tokenizer,
            int hiddenSize,
            int intermediateSize,
            int numLayers,
            int numHeads,
            int numKvHeads,
            double initializerRange,
            long seed) {}

    /** The {@code synthetic_data} section. */
    public record SyntheticData(String outputDir, int examples, long seed) {}
}
