package dev.sparktune.dl4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.safetensors.TensorInfo;
import dev.sparktune.testkit.RepoPaths;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HfConfigReaderTest {
    static final Path HF = RepoPaths.resolve("dl4j-ext/src/test/resources/goldens/hf");

    private static final String MIN = """
            {"architectures": ["%s"], "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48,
             "num_hidden_layers": 2, "num_attention_heads": 4 %s}""";

    static ModelConfig parse(String arch, String extra) {
        return HfConfigReader.parse(MIN.formatted(arch, extra), "test config");
    }

    @Test
    void readsEveryFamilyAsTransformersWroteIt() {
        ModelConfig llama = HfConfigReader.read(HF.resolve("llama"));
        assertEquals(ModelFamily.LLAMA, llama.family());
        assertEquals(RopeConfig.Type.LLAMA3, llama.rope().type());
        assertEquals(500000.0, llama.rope().theta());
        assertEquals(8.0, llama.rope().factor());
        assertEquals(16, llama.rope().originalMaxPositionEmbeddings());
        assertEquals(8, llama.headDim());
        assertEquals(2, llama.numKvHeads());
        assertEquals(1e-5, llama.rmsNormEps());
        assertFalse(llama.tieWordEmbeddings());
        assertFalse(llama.qkvBias());

        ModelConfig qwen2 = HfConfigReader.read(HF.resolve("qwen2/config.json"));
        assertTrue(qwen2.qkvBias());
        assertFalse(qwen2.outputBias());
        assertTrue(qwen2.tieWordEmbeddings());

        ModelConfig qwen3 = HfConfigReader.read(HF.resolve("qwen3"));
        assertTrue(qwen3.qkNorm());
        assertEquals(12, qwen3.headDim());
        assertFalse(qwen3.qkvBias());
        assertEquals(0, qwen3.slidingWindow());

        ModelConfig mistral = HfConfigReader.read(HF.resolve("mistral"));
        assertEquals(5, mistral.slidingWindow());
        assertEquals(RopeConfig.Type.DEFAULT, mistral.rope().type());
    }

    @Test
    void layoutMatchesEveryTensorTransformersSaved() {
        for (String family : List.of("llama", "qwen2", "qwen3", "mistral", "phi3")) {
            ModelConfig config = HfConfigReader.read(HF.resolve(family));
            ParamLayout layout = HfParamNames.layout(config);
            SafetensorsReader reader = SafetensorsReader.open(HF.resolve(family));
            assertEquals(reader.tensors().keySet(), Set.copyOf(layout.names()), family);
            for (ParamLayout.Entry e : layout.entries()) {
                TensorInfo info = reader.info(e.name());
                assertArrayEquals(e.shape(), info.shape(), family + " " + e.name());
            }
        }
    }

    @Test
    void legacyRopeScalingAndDefaults() {
        ModelConfig c = parse("LlamaForCausalLM", """
                , "rope_theta": 500000.0, "rope_scaling": {"type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                  "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}, "tie_word_embeddings": true,
                  "eos_token_id": [1, 2]""");
        assertEquals(RopeConfig.Type.LLAMA3, c.rope().type());
        assertEquals(500000.0, c.rope().theta());
        assertEquals(32.0, c.rope().factor());
        assertEquals(4, c.numKvHeads());
        assertEquals(8, c.headDim());
        assertEquals(List.of(1, 2), c.eosTokenIds());
        ModelConfig plain = parse("MistralForCausalLM", "");
        assertEquals(10000.0, plain.rope().theta());
        assertEquals(4096, plain.slidingWindow(), "MistralConfig's default sliding_window");
        assertEquals(
                0, parse("MistralForCausalLM", ", \"sliding_window\": null").slidingWindow());
    }

    @Test
    void unknownArchitectureListsKnownOnes() {
        UnsupportedArchitectureException e =
                assertThrows(UnsupportedArchitectureException.class, () -> parse("GPT2LMHeadModel", ""));
        assertEquals("GPT2LMHeadModel", e.requested());
        assertEquals("test config", e.source());
        assertTrue(
                e.getMessage().contains("LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, MistralForCausalLM"),
                e.getMessage());
        assertThrows(UnsupportedArchitectureException.class, () -> ModelSpecs.forArchitecture("Nope"));
    }

    @Test
    void missingAndInvalidFieldsAreNamed() {
        ModelConfigException missing = assertThrows(
                ModelConfigException.class,
                () -> HfConfigReader.parse(
                        "{\"architectures\": [\"Qwen3ForCausalLM\"], \"vocab_size\": 10}", "cfg.json"));
        assertEquals("hidden_size", missing.field());
        assertEquals("cfg.json", missing.source());
        assertTrue(
                missing.getMessage().startsWith("cfg.json: required field \"hidden_size\" is missing"),
                missing.getMessage());

        ModelConfigException bad = assertThrows(
                ModelConfigException.class, () -> parse("LlamaForCausalLM", ", \"num_key_value_heads\": 3"));
        assertEquals("num_key_value_heads", bad.field());
        assertTrue(bad.getMessage().contains("multiple of num_key_value_heads (3)"), bad.getMessage());

        assertEquals(
                "hidden_size",
                assertThrows(
                                ModelConfigException.class,
                                () -> HfConfigReader.parse(
                                        MIN.formatted("LlamaForCausalLM", "")
                                                .replace("\"hidden_size\": 32", "\"hidden_size\": \"32\""),
                                        "c"))
                        .field());
        assertEquals(
                "hidden_act",
                assertThrows(ModelConfigException.class, () -> parse("LlamaForCausalLM", ", \"hidden_act\": \"gelu\""))
                        .field());
        assertEquals(
                "model_type",
                assertThrows(ModelConfigException.class, () -> parse("LlamaForCausalLM", ", \"model_type\": \"qwen2\""))
                        .field());
        UnsupportedArchitectureException rope = assertThrows(
                UnsupportedArchitectureException.class,
                () -> parse(
                        "LlamaForCausalLM", ", \"rope_parameters\": {\"rope_type\": \"yarn\", \"rope_theta\": 1e4}"));
        assertTrue(rope.getMessage().contains("supported: default, linear, llama3"), rope.getMessage());
        ModelConfigException llama3 = assertThrows(
                ModelConfigException.class,
                () -> parse(
                        "LlamaForCausalLM",
                        ", \"rope_parameters\": {\"rope_type\": \"llama3\", \"rope_theta\": 1e4, \"factor\": 8.0}"));
        assertEquals("rope_parameters.low_freq_factor", llama3.field());
        assertThrows(
                UnsupportedArchitectureException.class,
                () -> parse("Qwen2ForCausalLM", ", \"use_sliding_window\": true"));
        assertThrows(ModelException.class, () -> HfConfigReader.read(Path.of("/nonexistent-dir")));
    }

    @Test
    void writerRoundTripsEveryFamily() {
        for (String family : List.of("llama", "qwen2", "qwen3", "mistral", "phi3")) {
            ModelConfig c = HfConfigReader.read(HF.resolve(family));
            assertEquals(c, HfConfigReader.parse(HfConfigWriter.toJson(c), family + " written"), family);
        }
        ModelConfig legacy = parse("LlamaForCausalLM", """
                , "rope_theta": 500000.0, "rope_scaling": {"type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                  "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}, "eos_token_id": [1, 2],
                  "bos_token_id": 0, "attention_bias": true""");
        assertEquals(legacy, HfConfigReader.parse(HfConfigWriter.toJson(legacy), "legacy written"));
        ModelConfig odd = new ModelConfig(
                legacy.spec(),
                10,
                4,
                8,
                1,
                2,
                2,
                2,
                1e-6,
                legacy.rope(),
                64,
                false,
                true,
                false,
                false,
                false,
                0,
                -1,
                List.of());
        assertEquals(
                "attention_bias",
                assertThrows(ModelConfigException.class, () -> HfConfigWriter.toJson(odd))
                        .field());
    }
}
