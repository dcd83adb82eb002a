package dev.sparktune.dl4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code init-model}: a randomly initialised model of any supported family, saved as an HF directory (tests and the
 * demo use these). Initialisation follows transformers' {@code _init_weights}: matrices ~ N(0, std), norms 1 (Gemma's
 * 0: they scale by 1 + weight), biases 0.
 */
public final class ModelInit {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ModelInit() {}

    /** Random parameters for {@code config}, deterministic in {@code seed}. */
    public static HfModelDir.Loaded random(ModelConfig config, long seed, double std) {
        if (!(std > 0)) {
            throw new IllegalArgumentException("std must be > 0, got " + std);
        }
        ParamLayout layout = HfParamNames.layout(config);
        INDArray params = layout.allocate();
        Random random = new Random(seed);
        for (ParamLayout.Entry e : layout.entries()) {
            INDArray view = layout.view(params, e.name());
            if (e.name().endsWith("norm.weight")) {
                view.assign(1.0 - config.normWeightOffset()); // a scale of 1
            } else if (e.name().endsWith(".bias")) {
                view.assign(0.0);
            } else {
                float[] values = new float[(int) e.length()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (random.nextGaussian() * std);
                }
                view.assign(Nd4j.create(values, e.shape(), 'c'));
            }
        }
        if (config.padTokenId() >= 0) { // transformers' _init_weights zeroes nn.Embedding's padding row
            layout.view(params, "model.embed_tokens.weight")
                    .getRow(config.padTokenId())
                    .assign(0.0);
        }
        return new HfModelDir.Loaded(config, layout, params);
    }

    /**
     * Writes a {@link #random} model of {@code config} into {@code dir} as an HF model directory, sharded at
     * {@link SafetensorsWriter#DEFAULT_MAX_SHARD_BYTES}, with {@code tokenizerDir}'s tokenizer files: what
     * {@code sparktune init-model} and a run's init_model stage create.
     *
     * @return the weights written
     */
    public static HfModelDir.Loaded saveRandom(Path dir, ModelConfig config, long seed, double std, Path tokenizerDir) {
        HfModelDir.Loaded model = random(config, seed, std);
        HfModelDir.save(
                dir, config, model.layout(), model.params(), tokenizerDir, SafetensorsWriter.DEFAULT_MAX_SHARD_BYTES);
        return model;
    }

    /**
     * The vocabulary size a tokenizer directory implies: 1 + the largest id in {@code tokenizer.json}'s model vocab
     * and added tokens.
     */
    public static int vocabSize(Path tokenizerDir) {
        Path file = tokenizerDir.resolve("tokenizer.json");
        try {
            JsonNode root = MAPPER.readTree(file.toFile());
            int max = -1;
            JsonNode vocab = root.path("model").path("vocab");
            if (vocab.isObject()) {
                for (JsonNode id : (Iterable<JsonNode>) vocab::elements) {
                    max = Math.max(max, id.asInt());
                }
            }
            for (JsonNode t : root.path("added_tokens")) {
                max = Math.max(max, t.path("id").asInt(-1));
            }
            if (max < 0) {
                throw new ModelException(file + ": no model.vocab object or added_tokens ids; is this a Hugging Face"
                        + " tokenizer.json (BPE/WordPiece)?");
            }
            return max + 1;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The HF config of a small model: {@code architecture} (e.g. {@code Qwen3ForCausalLM}) with the given sizes;
     * {@code headDim} null = hidden / heads. A Qwen3MoeForCausalLM gets 8 experts of width {@code intermediate}, 2
     * per token.
     *
     * @throws ModelException when the family is not supported or the sizes do not fit together
     */
    public static ModelConfig config(
            String architecture,
            int vocab,
            int hidden,
            int intermediate,
            int layers,
            int heads,
            int kvHeads,
            Integer headDim,
            boolean tieWordEmbeddings) {
        if (ModelSpecs.forArchitecture(architecture, "init-model arguments").wrapsText()) {
            // a random vision tower would be one more model to build and prove; its text model is the causal LM
            throw new ModelException("init-model: " + architecture + " is a multimodal checkpoint we train the text"
                    + " model of; init-model writes causal LMs (use Gemma3ForCausalLM for a Gemma 3 text model)");
        }
        ObjectNode cfg = MAPPER.createObjectNode();
        cfg.putArray("architectures").add(architecture);
        cfg.put("vocab_size", vocab);
        cfg.put("hidden_size", hidden);
        cfg.put("intermediate_size", intermediate);
        cfg.put("num_hidden_layers", layers);
        cfg.put("num_attention_heads", heads);
        cfg.put("num_key_value_heads", kvHeads);
        if (headDim != null) {
            cfg.put("head_dim", headDim);
        }
        cfg.put("tie_word_embeddings", tieWordEmbeddings);
        cfg.put("max_position_embeddings", 4096);
        // Mistral, Phi-3: full attention unless a window is configured later; Gemma 3: its default window (4096)
        cfg.putNull("sliding_window");
        cfg.putNull("pad_token_id"); // Phi3Config's default (32000) is outside a small vocabulary
        if (ModelSpecs.forArchitecture(architecture, "init-model arguments").family() == ModelFamily.QWEN3_MOE) {
            // Qwen3-30B-A3B's routing (renormalised top-k, every layer sparse) at a small scale: 8 experts, 2 per
            // token, each of the given intermediate width (Qwen3MoeConfig's defaults are 128 experts of 768)
            cfg.put("num_experts", 8);
            cfg.put("num_experts_per_tok", 2);
            cfg.put("moe_intermediate_size", intermediate);
            cfg.put("norm_topk_prob", true);
        }
        return HfConfigReader.parse(cfg.toString(), "init-model arguments");
    }
}
