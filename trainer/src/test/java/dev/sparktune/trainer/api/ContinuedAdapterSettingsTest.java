package dev.sparktune.trainer.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.testkit.TinyModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a run continuing an adapter says its adapter_config.json replaces ({@link TrainJob#replacedLoraSettings}). */
class ContinuedAdapterSettingsTest {
    private static final String QWEN3_OWN = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj";

    @Test
    void allMatchesAnAdapterOfEveryProjectionOfTheModel() {
        // an adapter trained with lora_target = all lists the model's own projections in adapter_config.json
        LoraConfig requested = LoraConfig.of(8, 16, 0.05, "all", false);
        assertEquals(
                List.of(),
                TrainJob.replacedLoraSettings(
                        requested, LoraConfig.of(8, 16, 0.05, QWEN3_OWN, false), TinyModels.qwen3()));
        assertEquals(
                List.of(),
                TrainJob.replacedLoraSettings(
                        requested,
                        LoraConfig.of(8, 16, 0.05, "qkv_proj,o_proj,gate_up_proj,down_proj", false),
                        TinyModels.phi3()));
    }

    @Test
    void namesEachSettingTheAdapterChangesWithBothValues() {
        assertEquals(
                List.of("lora_rank = 8 -> 16", "lora_target = all -> q_proj,v_proj"),
                TrainJob.replacedLoraSettings(
                        LoraConfig.of(8, 16, 0.05, "all", false),
                        LoraConfig.of(16, 16, 0.05, "q_proj,v_proj", false),
                        TinyModels.qwen3()));
        assertEquals(
                List.of("lora_alpha = 16.0 -> 32.0", "lora_dropout = 0.05 -> 0.0", "use_rslora = false -> true"),
                TrainJob.replacedLoraSettings(
                        LoraConfig.of(8, 16, 0.05, QWEN3_OWN, false),
                        LoraConfig.of(8, 32, 0, "all", true),
                        TinyModels.qwen3()));
    }

    @Test
    void allDiffersFromAnAdapterOfPartOfTheModelsProjections() {
        // Phi-3's adapter of the attention projections only: "all" would also train its MLP
        assertEquals(
                List.of("lora_target = all -> qkv_proj,o_proj"),
                TrainJob.replacedLoraSettings(
                        LoraConfig.of(8, 16, 0.05, "all", false),
                        LoraConfig.of(8, 16, 0.05, "qkv_proj,o_proj", false),
                        TinyModels.phi3()));
    }
}
