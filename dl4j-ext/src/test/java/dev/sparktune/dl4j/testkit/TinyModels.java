package dev.sparktune.dl4j.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.HfConfigWriter;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelInit;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.safetensors.SafetensorsWriter;
import dev.sparktune.testkit.RepoPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Tiny random Qwen3 models, for tests that train, evaluate or export a real model in seconds: Qwen3's decoder at toy
 * width (hidden 32, 2 layers, 4 query heads and 2 key/value heads of 8, tied embeddings) with random weights.
 *
 * <p>Shared with the trainer's and the end-to-end tests through dl4j-ext's test-jar: it needs dl4j-ext's model code,
 * and the testkit module cannot depend on dl4j-ext (dl4j-ext's own tests depend on testkit).
 */
public final class TinyModels {
    /** The real Qwen3 tokenizer bundled with the repository. */
    public static final Path QWEN3_TOKENIZER = RepoPaths.resolve("assets/tokenizers/qwen3");
    /** The vocabulary of {@link #qwen3OverToyVocab()}: rows of random token ids, no tokenizer. */
    public static final int TOY_VOCAB = 97;

    private TinyModels() {}

    /** The tiny Qwen3 over the real Qwen3 tokenizer's vocabulary, so that tables prepared from real text fit it. */
    public static ModelConfig qwen3() {
        return HfConfigReader.parse("""
                {"architectures": ["Qwen3ForCausalLM"], "vocab_size": %d, "hidden_size": 32,
                 "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "head_dim": 8, "tie_word_embeddings": true,
                 "max_position_embeddings": 512}""".formatted(ModelInit.vocabSize(QWEN3_TOKENIZER)), "test");
    }

    /**
     * Writes a random {@link #qwen3()} to {@code dir} as the hub ships a model: config.json, one fp32
     * model.safetensors and the real Qwen3 tokenizer's files. Returns the weights written.
     */
    public static HfModelDir.Loaded writeQwen3(Path dir, long seed, double std) {
        return write(qwen3(), dir, seed, std);
    }

    /**
     * Writes a random model of {@code config} (one of this class's, over the real Qwen3 tokenizer's vocabulary) to
     * {@code dir} as {@link #writeQwen3} does. Returns the weights written.
     */
    public static HfModelDir.Loaded write(ModelConfig config, Path dir, long seed, double std) {
        HfModelDir.Loaded m = ModelInit.random(config, seed, std);
        HfModelDir.save(dir, config, m.layout(), m.params(), QWEN3_TOKENIZER, 1L << 30);
        return m;
    }

    /**
     * A tiny Phi-3 (fused qkv_proj and gate_up_proj, Phi-4-mini's partial rotary factor 0.75 and longrope with a
     * pre-training length of 64) over the real Qwen3 tokenizer's vocabulary, so that the tables the tests prepare fit
     * it.
     */
    public static ModelConfig phi3() {
        return HfConfigReader.parse("""
                {"architectures": ["Phi3ForCausalLM"], "vocab_size": %d, "hidden_size": 32,
                 "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "tie_word_embeddings": true, "max_position_embeddings": 256,
                 "original_max_position_embeddings": 64, "partial_rotary_factor": 0.75, "pad_token_id": null,
                 "rope_scaling": {"type": "longrope", "short_factor": [1.0, 1.5, 2.5],
                                  "long_factor": [2.0, 3.0, 5.0]}}""".formatted(ModelInit.vocabSize(QWEN3_TOKENIZER)), "test");
    }

    /**
     * Writes a random {@link #gemma3()} to {@code dir} as the text model of a Gemma3ForConditionalGeneration, as Gemma
     * 3 4B+ ship: the text weights under {@code language_model.}, the tiny vision tower and projector of the
     * {@code hf/gemma3_vlm} fixture (whose text model has the same width) and its config.json with this text_config,
     * and the real Qwen3 tokenizer's files. Returns the text model's weights.
     */
    public static HfModelDir.Loaded writeGemma3Multimodal(Path dir, long seed, double std) throws IOException {
        Path fixture = RepoPaths.resolve("dl4j-ext/src/test/resources/goldens/hf/gemma3_vlm");
        ObjectMapper json = new ObjectMapper();
        ObjectNode config =
                (ObjectNode) json.readTree(fixture.resolve("config.json").toFile());
        ObjectNode text = (ObjectNode) json.readTree(HfConfigWriter.toJson(gemma3()));
        text.remove("architectures");
        config.set("text_config", text);
        config.remove(List.of("bos_token_id", "eos_token_id", "pad_token_id")); // the text model's, for this vocab
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), json.writeValueAsString(config));

        HfModelDir.Loaded m = ModelInit.random(gemma3(), seed, std);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        m.layout().views(m.params()).forEach((name, view) -> tensors.put("language_model." + name, view));
        SafetensorsReader vision = SafetensorsReader.open(fixture);
        vision.tensors().keySet().stream()
                .filter(name -> !name.startsWith("language_model."))
                .forEach(name -> tensors.put(name, vision.read(name)));
        SafetensorsWriter.builder().maxShardBytes(1L << 30).build().write(dir, tensors);
        for (String file : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(QWEN3_TOKENIZER.resolve(file), dir.resolve(file));
        }
        return m;
    }

    /**
     * A tiny Gemma 3 (a sliding layer with a window of 8 then a global one, each with its own rope, the global one
     * linear-scaled; query_pre_attn_scalar != head_dim) over the real Qwen3 tokenizer's vocabulary, so that the tables
     * the tests prepare fit it.
     */
    public static ModelConfig gemma3() {
        return HfConfigReader.parse("""
                {"architectures": ["Gemma3ForCausalLM"], "vocab_size": %d, "hidden_size": 32,
                 "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "head_dim": 12, "query_pre_attn_scalar": 16, "sliding_window": 8,
                 "layer_types": ["sliding_attention", "full_attention"], "max_position_embeddings": 256,
                 "rope_theta": 100000.0, "rope_local_base_freq": 1000.0,
                 "rope_scaling": {"rope_type": "linear", "factor": 2.0}, "pad_token_id": null}""".formatted(ModelInit.vocabSize(QWEN3_TOKENIZER)), "test");
    }

    /**
     * A tiny Qwen3-MoE (4 experts, 2 per token, renormalised; both layers sparse, as in Qwen3-30B-A3B, so that
     * lora_target all is the attention) over the real Qwen3 tokenizer's vocabulary, so that the tables the tests
     * prepare fit it.
     */
    public static ModelConfig qwen3Moe() {
        return HfConfigReader.parse(MOE.formatted(ModelInit.vocabSize(QWEN3_TOKENIZER), 256), "test");
    }

    private static final String MOE = """
            {"architectures": ["Qwen3MoeForCausalLM"], "vocab_size": %d, "hidden_size": 32,
             "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 2, "head_dim": 8, "num_experts": 4, "num_experts_per_tok": 2,
             "moe_intermediate_size": 16, "norm_topk_prob": true, "max_position_embeddings": %d}""";

    /**
     * The tiny Qwen3 over {@link #TOY_VOCAB} tokens with a narrower MLP (48), for ranks run as threads on rows of
     * random token ids: small enough that a test trains it for several world sizes and shardings.
     */
    public static ModelConfig qwen3OverToyVocab() {
        return HfConfigReader.parse("""
                {"architectures": ["Qwen3ForCausalLM"], "vocab_size": %d, "hidden_size": 32,
                 "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "tie_word_embeddings": true, "max_position_embeddings": 128}""".formatted(TOY_VOCAB), "test");
    }

    /**
     * A Phi-3 of {@link #qwen3OverToyVocab()}'s size (fused qkv_proj and gate_up_proj, half of each head rotated,
     * longrope with a pre-training length of 16 so that rows of 24 tokens use the long factors).
     */
    public static ModelConfig phi3OverToyVocab() {
        return HfConfigReader.parse("""
                {"architectures": ["Phi3ForCausalLM"], "vocab_size": %d, "hidden_size": 32,
                 "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "tie_word_embeddings": true, "max_position_embeddings": 128,
                 "original_max_position_embeddings": 16, "partial_rotary_factor": 0.5, "pad_token_id": 0,
                 "rope_scaling": {"type": "longrope", "short_factor": [1.0, 2.0], "long_factor": [3.0, 5.0]}}""".formatted(TOY_VOCAB), "test");
    }

    /** {@link #phi3OverToyVocab()}'s random weights (seed 5, std 0.1): the same every call. */
    public static HfModelDir.Loaded toyPhi3Weights() {
        return ModelInit.random(phi3OverToyVocab(), 5, 0.1);
    }

    /**
     * A Gemma 3 of {@link #qwen3OverToyVocab()}'s size: a sliding layer (window 5, shorter than rows of 24 tokens)
     * then a global one with a linear-scaled rope.
     */
    public static ModelConfig gemma3OverToyVocab() {
        return HfConfigReader.parse("""
                {"architectures": ["Gemma3ForCausalLM"], "vocab_size": %d, "hidden_size": 32,
                 "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "head_dim": 8, "query_pre_attn_scalar": 12, "sliding_window": 5,
                 "layer_types": ["sliding_attention", "full_attention"], "max_position_embeddings": 128,
                 "rope_scaling": {"rope_type": "linear", "factor": 4.0}, "pad_token_id": 0}""".formatted(TOY_VOCAB), "test");
    }

    /** {@link #gemma3OverToyVocab()}'s random weights (seed 5, std 0.1): the same every call. */
    public static HfModelDir.Loaded toyGemma3Weights() {
        return ModelInit.random(gemma3OverToyVocab(), 5, 0.1);
    }

    /** A Qwen3-MoE of {@link #qwen3OverToyVocab()}'s size: {@link #qwen3Moe()}'s experts, both layers sparse. */
    public static ModelConfig qwen3MoeOverToyVocab() {
        return HfConfigReader.parse(MOE.formatted(TOY_VOCAB, 128), "test");
    }

    /** {@link #qwen3MoeOverToyVocab()}'s random weights (seed 5, std 0.1): the same every call. */
    public static HfModelDir.Loaded toyQwen3MoeWeights() {
        return ModelInit.random(qwen3MoeOverToyVocab(), 5, 0.1);
    }

    /** {@link #qwen3OverToyVocab()}'s random weights (seed 5, std 0.1): the same every call. */
    public static HfModelDir.Loaded toyQwen3Weights() {
        return ModelInit.random(qwen3OverToyVocab(), 5, 0.1);
    }
}
