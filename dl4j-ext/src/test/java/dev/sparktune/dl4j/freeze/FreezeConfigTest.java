package dev.sparktune.dl4j.freeze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The selection rules and errors; the trained result against torch is TrainVariantsGoldenTest's. */
class FreezeConfigTest {
    static ModelConfig qwen3(int layers, boolean tied) {
        return HfConfigReader.parse("""
                {"architectures": ["Qwen3ForCausalLM"], "vocab_size": 64, "hidden_size": 16,
                 "intermediate_size": 24, "num_hidden_layers": %d, "num_attention_heads": 2,
                 "num_key_value_heads": 1, "tie_word_embeddings": %s, "max_position_embeddings": 64}""".formatted(layers, tied), "test");
    }

    @Test
    void layerCountsSelectTheLastOrFirstLayersAndNeverAPrefixOfAnotherIndex() {
        ModelConfig m = qwen3(12, true);
        Set<String> last = FreezeConfig.of(2, "all", "").trainableNames(m);
        assertTrue(
                last.stream().allMatch(n -> n.startsWith("model.layers.10.") || n.startsWith("model.layers.11.")),
                last.toString());
        assertEquals(2 * 11, last.size(), "two whole Qwen3 layers (11 tensors each)");
        Set<String> first = FreezeConfig.of(-2, "self_attn", "").trainableNames(m);
        assertTrue(
                first.contains("model.layers.1.self_attn.q_norm.weight")
                        && first.stream()
                                .noneMatch(n -> n.startsWith("model.layers.10.")
                                        || n.startsWith("model.layers.11.")
                                        || n.contains("mlp")),
                "layer 1 is not layers 10/11: " + first);
        assertEquals(12, FreezeConfig.of(100, "mlp", "").trainableNames(m).size() / 3, "more layers than exist: all");
    }

    @Test
    void qwen3MoeExpertsAreMatchedByTheNamesTransformersHoldsThemUnder() {
        // LLaMA-Factory matches ".1." against the fused in-memory experts.gate_up_proj / down_proj: layer 0's expert 1
        // (model.layers.0.mlp.experts.1.gate_proj.weight in the checkpoint) is not layer 1's
        ModelConfig moe = HfConfigReader.parse("""
                {"architectures": ["Qwen3MoeForCausalLM"], "vocab_size": 64, "hidden_size": 32,
                 "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16}""", "test");
        Set<String> last = FreezeConfig.of(1, "all", "").trainableNames(moe);
        assertTrue(last.contains("model.layers.1.mlp.experts.3.down_proj.weight"), last.toString());
        assertTrue(last.stream().allMatch(n -> n.startsWith("model.layers.1.")), last.toString());
        // the modules of a layer are transformers' (self_attn, mlp, the norms), not the experts' projections
        String m = assertThrows(
                        ModelException.class,
                        () -> FreezeConfig.of(1, "gate_proj", "").trainableNames(moe))
                .getMessage();
        assertTrue(m.contains("\"gate_proj\"") && m.contains("mlp"), m);
        assertEquals(
                "model.layers.0.mlp.experts.gate_up_proj",
                HfParamNames.inMemoryName("model.layers.0.mlp.experts.1.up_proj.weight"));
    }

    @Test
    void unknownModulesAreNamedWithTheChoices() {
        String m = assertThrows(
                        ModelException.class,
                        () -> FreezeConfig.of(2, "attention", "").trainableNames(qwen3(2, true)))
                .getMessage();
        assertTrue(m.contains("\"attention\"") && m.contains("self_attn") && m.contains("mlp"), m);
        m = assertThrows(
                        ModelException.class,
                        () -> FreezeConfig.of(2, "all", "lm_head").trainableNames(qwen3(2, true)))
                .getMessage();
        assertTrue(
                m.contains("\"lm_head\"") && m.contains("embed_tokens") && m.contains("norm"),
                "a tied model has no separate lm_head: " + m);
        assertTrue(FreezeConfig.of(0, "all", "lm_head")
                .trainableNames(qwen3(2, false))
                .contains("lm_head.weight"));
        m = assertThrows(IllegalArgumentException.class, () -> FreezeConfig.of(0, "all", ""))
                .getMessage();
        assertTrue(m.startsWith("freeze_trainable_layers = 0 and no freeze_extra_modules would train nothing"), m);
        assertThrows(IllegalArgumentException.class, () -> new FreezeConfig(2, List.of(), List.of()));
    }
}
