package dev.sparktune.pipeline.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.sparktune.pipeline.config.ConfigSources;
import dev.sparktune.pipeline.config.RunSettings.Stage;
import dev.sparktune.pipeline.config.SparkTuneConfig;
import dev.sparktune.pipeline.config.Verb;
import dev.sparktune.testkit.RepoPaths;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which settings re-run which stage of the run verb, on the preference demo's config. */
class PipelineRunTest {
    private static String settings(Stage stage, String... overrides) {
        SparkTuneConfig config = SparkTuneConfig.load(
                ConfigSources.of(RepoPaths.resolve("conf/demo-dpo.conf"), List.of(overrides)), Verb.RUN);
        return PipelineRun.settingsText(config, stage);
    }

    @Test
    void trainingSettingsReRunTrainButNotTheReferencePass() {
        String ref = settings(Stage.REF_LOGPROBS);
        assertEquals(
                ref,
                settings(Stage.REF_LOGPROBS, "train.learning_rate=1e-4", "train.pref_beta=0.2", "train.max_steps=10"),
                "the reference's log-probs do not depend on how train trains");
        assertNotEquals(settings(Stage.TRAIN), settings(Stage.TRAIN, "train.learning_rate=1e-4"));
    }

    @Test
    void theReferenceAndTheTableReRunTheReferencePass() {
        String ref = settings(Stage.REF_LOGPROBS);
        assertNotEquals(ref, settings(Stage.REF_LOGPROBS, "train.ref_model=\"out/other-model\""));
        assertNotEquals(ref, settings(Stage.REF_LOGPROBS, "train.ref_model_adapters=\"out/sft-lora\""));
        assertNotEquals(ref, settings(Stage.REF_LOGPROBS, "train.ref_logprobs_table=\"out/ref\""));
        assertNotEquals(ref, settings(Stage.REF_LOGPROBS, "model.model_name_or_path=\"out/other-base\""));
        assertNotEquals(ref, settings(Stage.REF_LOGPROBS, "train.table=\"out/other-table\""));
    }
}
