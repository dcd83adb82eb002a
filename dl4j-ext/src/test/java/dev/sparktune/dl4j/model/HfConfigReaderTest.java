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
        for (String family : List.of("llama", "qwen2", "qwen3", "mistral", "phi3", "gemma3", "qwen3_moe")) {
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
    void readsPhi3sFusedLayoutAndRopeVariants() {
        ModelConfig fixture = HfConfigReader.read(HF.resolve("phi3"));
        assertEquals(ModelFamily.PHI3, fixture.family());
        assertEquals(RopeConfig.Type.LONGROPE, fixture.rope().type());
        assertEquals(0.75, fixture.rope().partialRotaryFactor());
        assertEquals(6, fixture.rope().rotaryDim(fixture.headDim()));
        assertEquals(64, fixture.rope().originalMaxPositionEmbeddings());
        assertEquals(4.0, fixture.rope().factor(), "max_position_embeddings / original_max_position_embeddings");
        assertEquals(Math.sqrt(1 + Math.log(4) / Math.log(64)), fixture.rope().attentionFactor(), 1e-15);
        assertEquals(List.of(1.0, 1.5, 2.5), fixture.rope().shortFactor());
        assertEquals(35, fixture.padTokenId());
        assertEquals(5, fixture.slidingWindow());
        assertTrue(fixture.tieWordEmbeddings());
        ParamLayout layout = HfParamNames.layout(fixture);
        assertArrayEquals(
                new long[] {(4 + 2 * 2) * 8, 32},
                layout.entry("model.layers.0.self_attn.qkv_proj.weight").shape());
        assertArrayEquals(
                new long[] {2 * 48, 32},
                layout.entry("model.layers.0.mlp.gate_up_proj.weight").shape());
        assertFalse(layout.contains("model.layers.0.self_attn.q_proj.weight"), "one entry per fused weight");

        // Phi-3-mini-4k: no rope scaling, a sliding window, Phi3Config's pad_token_id default
        ModelConfig mini4k = HfConfigReader.parse(
                MIN.formatted("Phi3ForCausalLM", ", \"sliding_window\": 7, \"rope_scaling\": null")
                        .replace("\"vocab_size\": 64", "\"vocab_size\": 32064"),
                "mini-4k");
        assertEquals(RopeConfig.Type.DEFAULT, mini4k.rope().type());
        assertEquals(7, mini4k.slidingWindow());
        assertEquals(32000, mini4k.padTokenId());
        // the default rope reads no pre-training length: written back, Phi3Config's default (4096) stands, not a 0
        assertFalse(HfConfigWriter.toJson(mini4k).contains("original_max_position_embeddings"));
        assertEquals(mini4k, HfConfigReader.parse(HfConfigWriter.toJson(mini4k), "written"));
        // Phi-3.5-mini's older spelling: rope_scaling of type "su", the pre-training length at the top level
        ModelConfig su = parse("Phi3ForCausalLM", """
                , "pad_token_id": null, "max_position_embeddings": 131072, "original_max_position_embeddings": 4096,
                  "rope_scaling": {"type": "su", "short_factor": [1, 1, 1.5, 2], "long_factor": [1, 2, 4, 8]}""");
        assertEquals(RopeConfig.Type.LONGROPE, su.rope().type());
        assertEquals(4096, su.rope().originalMaxPositionEmbeddings());
        assertEquals(Math.sqrt(1 + Math.log(32) / Math.log(4096)), su.rope().attentionFactor(), 1e-15);
        assertFalse(su.rope().usesLongFactors(4096));
        assertTrue(su.rope().usesLongFactors(4097), "long factors once a forward's positions pass 4096");
        assertEquals(su, HfConfigReader.parse(HfConfigWriter.toJson(su), "written"));
    }

    @Test
    void readsGemma3sLayerKindsRopesAndDefaults() {
        ModelConfig fixture = HfConfigReader.read(HF.resolve("gemma3"));
        assertEquals(ModelFamily.GEMMA3, fixture.family());
        assertEquals(List.of(true, false), fixture.gemma().slidingLayers());
        assertEquals(3, fixture.windowOf(0));
        assertEquals(0, fixture.windowOf(1), "global layers see every earlier key");
        assertEquals(new RopeConfig(RopeConfig.Type.LINEAR, 20000.0, 2.0, 0, 0, 0), fixture.ropeOf(1));
        assertEquals(RopeConfig.defaultRope(500.0), fixture.ropeOf(0));
        assertEquals((float) Math.pow(10, -0.5), fixture.attentionScale());
        assertEquals((float) Math.sqrt(32), fixture.embeddingScale());
        assertTrue(fixture.qkNorm() && fixture.tieWordEmbeddings());
        assertTrue(HfParamNames.layout(fixture).contains("model.layers.1.post_feedforward_layernorm.weight"));

        // gemma-3-4b's older config.json: rope_theta, rope_local_base_freq, rope_scaling for the global layers,
        // sliding_window_pattern; Gemma3TextConfig's defaults for what is absent
        ModelConfig legacy = HfConfigReader.parse(
                MIN.formatted("Gemma3ForCausalLM", """
                                , "sliding_window": 1024, "sliding_window_pattern": 6, "rope_theta": 1000000.0,
                                  "rope_local_base_freq": 10000.0, "rope_scaling": {"rope_type": "linear", "factor": 8.0}""").replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 7"),
                "gemma-3-4b");
        assertEquals(
                List.of(true, true, true, true, true, false, true),
                legacy.gemma().slidingLayers());
        assertEquals(8.0, legacy.ropeOf(5).factor());
        assertEquals(RopeConfig.defaultRope(10000.0), legacy.ropeOf(0), "rope_scaling is the global layers' only");
        assertEquals((float) Math.pow(256, -0.5), legacy.attentionScale(), "query_pre_attn_scalar's default");
        assertEquals(0, legacy.padTokenId());
        assertEquals(2, legacy.bosTokenId());
        assertEquals(List.of(1), legacy.eosTokenIds());
        assertEquals(legacy, HfConfigReader.parse(HfConfigWriter.toJson(legacy), "written"));
    }

    @Test
    void readsQwen3MoesExpertsAndWhichLayersAreSparse() {
        ModelConfig fixture = HfConfigReader.read(HF.resolve("qwen3_moe"));
        assertEquals(ModelFamily.QWEN3_MOE, fixture.family());
        // transformers 5 wrote num_local_experts; mlp_only_layers [0] makes layer 0 dense
        assertEquals(new ModelConfig.Moe(4, 2, 16, true, List.of(false, true), 0.001), fixture.moe());
        assertTrue(fixture.qkNorm() && !fixture.tieWordEmbeddings());
        ParamLayout layout = HfParamNames.layout(fixture);
        assertTrue(layout.contains("model.layers.0.mlp.gate_proj.weight"));
        assertArrayEquals(
                new long[] {4, 32},
                layout.entry("model.layers.1.mlp.gate.weight").shape());
        assertArrayEquals(
                new long[] {32, 16},
                layout.entry("model.layers.1.mlp.experts.3.down_proj.weight").shape());

        // Qwen3-30B-A3B's config.json names num_experts; decoder_sparse_step 2 makes every other layer sparse
        ModelConfig stepped = parse("Qwen3MoeForCausalLM", """
                , "num_experts": 8, "num_experts_per_tok": 3, "moe_intermediate_size": 8, "decoder_sparse_step": 2""");
        assertEquals(new ModelConfig.Moe(8, 3, 8, false, List.of(false, true), 0.001), stepped.moe());
        assertEquals(stepped, HfConfigReader.parse(HfConfigWriter.toJson(stepped), "written"));
        ModelConfig defaults = parse("Qwen3MoeForCausalLM", "");
        assertEquals(new ModelConfig.Moe(128, 8, 768, false, List.of(true, true), 0.001), defaults.moe());
    }

    @Test
    void qwen3MoeSettingsWeDoNotRunAreRefusedNamingTheKey() {
        // the load-balancing loss is not computed: a config that asks for it in training is refused
        assertTrue(assertThrows(
                        UnsupportedArchitectureException.class,
                        () -> parse("Qwen3MoeForCausalLM", ", \"output_router_logits\": true"))
                .getMessage()
                .contains("output_router_logits"));
        assertTrue(assertThrows(
                        ModelException.class,
                        () -> parse("Qwen3MoeForCausalLM", ", \"num_experts\": 4, \"num_experts_per_tok\": 5"))
                .getMessage()
                .contains("num_experts_per_tok (5) is more than num_experts (4)"));
        assertTrue(assertThrows(ModelException.class, () -> parse("Qwen3MoeForCausalLM", ", \"mlp_only_layers\": [2]"))
                .getMessage()
                .contains("mlp_only_layers"));
        assertThrows(ModelException.class, () -> parse("Qwen3MoeForCausalLM", ", \"use_sliding_window\": true"));
    }

    @Test
    void gemma3SettingsWeDoNotRunAreRefusedNamingTheKey() {
        for (String key : List.of("attn_logit_softcapping", "final_logit_softcapping")) {
            assertTrue(assertThrows(
                            UnsupportedArchitectureException.class,
                            () -> parse("Gemma3ForCausalLM", ", \"" + key + "\": 30.0"))
                    .getMessage()
                    .contains(key));
        }
        assertTrue(
                assertThrows(UnsupportedArchitectureException.class, () -> parse("Gemma3ForCausalLM", """
                                , "rope_parameters": {"full_attention": {"rope_type": "yarn", "factor": 4.0},
                                  "sliding_attention": {"rope_type": "default"}}"""))
                        .getMessage()
                        .contains(
                                "rope_parameters.full_attention.rope_type \"yarn\" is not supported; supported: default, linear"));
        assertTrue(assertThrows(UnsupportedArchitectureException.class, () -> parse("Gemma3ForCausalLM", """
                                , "rope_parameters": {"full_attention": {"rope_type": "default"},
                                  "sliding_attention": {"rope_type": "linear", "factor": 2.0}}"""))
                .getMessage()
                .contains("rope_parameters.sliding_attention.rope_type"));
        assertTrue(assertThrows(
                        UnsupportedArchitectureException.class,
                        () -> parse("Gemma3ForCausalLM", ", \"hidden_activation\": \"gelu\""))
                .getMessage()
                .contains("hidden_activation"));
        assertTrue(assertThrows(
                        UnsupportedArchitectureException.class,
                        () -> parse("Gemma3ForCausalLM", ", \"use_bidirectional_attention\": true"))
                .getMessage()
                .contains("use_bidirectional_attention"));
        assertEquals(
                "layer_types",
                assertThrows(
                                ModelConfigException.class,
                                () -> parse("Gemma3ForCausalLM", ", \"layer_types\": [\"full_attention\"]"))
                        .field(),
                "one entry per layer");
        assertEquals(
                "layer_types",
                assertThrows(ModelConfigException.class, () -> parse("Gemma3ForCausalLM", """
                                , "layer_types": ["sliding_attention", "chunked_attention"]"""))
                        .field());
    }

    @Test
    void aNegativePadTokenIdCountsFromTheEndAsNnEmbeddingsPaddingIdxDoes() {
        // older Llama conversions ship pad_token_id -1: transformers' embedding takes it as the last row
        assertEquals(63, parse("LlamaForCausalLM", ", \"pad_token_id\": -1").padTokenId());
        assertEquals(-1, parse("LlamaForCausalLM", ", \"pad_token_id\": null").padTokenId(), "none");
        assertEquals(-1, parse("LlamaForCausalLM", "").padTokenId(), "Llama has no default padding row");
        assertEquals(
                0, parse("LlamaForCausalLM", ", \"pad_token_id\": -64").padTokenId(), "-vocab_size: the first row");
        ModelConfigException below =
                assertThrows(ModelConfigException.class, () -> parse("LlamaForCausalLM", ", \"pad_token_id\": -65"));
        assertEquals("pad_token_id", below.field(), "below -vocab_size, as nn.Embedding refuses it");
        assertTrue(
                below.getMessage().contains("pad_token_id -65 is outside [-vocab_size, vocab_size) = [-64, 64)"),
                below.getMessage());
        ModelConfigException above =
                assertThrows(ModelConfigException.class, () -> parse("LlamaForCausalLM", ", \"pad_token_id\": 64"));
        assertTrue(
                above.getMessage().contains("pad_token_id 64 is outside [-vocab_size, vocab_size) = [-64, 64)"),
                above.getMessage());
    }

    @Test
    void phi3SettingsWeDoNotRunAreRefusedNamingTheKey() {
        String noPad = ", \"pad_token_id\": null";
        assertTrue(assertThrows(
                        UnsupportedArchitectureException.class,
                        () -> parse(
                                "Phi3ForCausalLM",
                                noPad + ", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}"))
                .getMessage()
                .contains("supported: default, longrope"));
        assertEquals(
                "pad_token_id",
                assertThrows(ModelConfigException.class, () -> parse("Phi3ForCausalLM", ""))
                        .field(),
                "Phi3Config's default pad_token_id 32000 is outside a 64-token vocabulary");
        assertTrue(assertThrows(
                        UnsupportedArchitectureException.class,
                        () -> parse("Phi3ForCausalLM", noPad + ", \"resid_pdrop\": 0.1"))
                .getMessage()
                .contains("resid_pdrop"));
        assertEquals(
                "rope_scaling",
                assertThrows(ModelConfigException.class, () -> parse("Phi3ForCausalLM", noPad + """
                                        , "rope_scaling": {"type": "longrope", "short_factor": [1, 1],
                                          "long_factor": [1, 2]}"""))
                        .field(),
                "4 factors needed for head_dim 8");
        assertEquals(
                "head_dim",
                assertThrows(ModelConfigException.class, () -> parse("Phi3ForCausalLM", noPad + ", \"head_dim\": 16"))
                        .field());
        assertTrue(assertThrows(
                        UnsupportedArchitectureException.class,
                        () -> parse("LlamaForCausalLM", ", \"partial_rotary_factor\": 0.5"))
                .getMessage()
                .contains("partial_rotary_factor"));
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
                e.getMessage()
                        .contains(
                                "LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, MistralForCausalLM, Phi3ForCausalLM"),
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
        for (String family : List.of("llama", "qwen2", "qwen3", "mistral", "phi3", "gemma3", "qwen3_moe")) {
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
                List.of(),
                -1,
                null,
                null);
        assertEquals(
                "attention_bias",
                assertThrows(ModelConfigException.class, () -> HfConfigWriter.toJson(odd))
                        .field());
    }
}
