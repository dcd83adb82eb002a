package dev.sparktune.dl4j.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;

/**
 * Writes a {@link ModelConfig} as a transformers 5 {@code config.json} ({@code rope_parameters} layout) that
 * {@code AutoModelForCausalLM.from_pretrained} loads and {@link HfConfigReader} reads back to an equal config.
 */
public final class HfConfigWriter {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private HfConfigWriter() {}

    public static String toJson(ModelConfig c) {
        ObjectNode root = MAPPER.createObjectNode();
        root.putArray("architectures").add(c.spec().architecture());
        root.put("model_type", c.spec().modelType());
        root.put("vocab_size", c.vocabSize());
        root.put("hidden_size", c.hiddenSize());
        root.put("intermediate_size", c.intermediateSize());
        root.put("num_hidden_layers", c.numLayers());
        root.put("num_attention_heads", c.numHeads());
        root.put("num_key_value_heads", c.numKvHeads());
        root.put("head_dim", c.headDim());
        root.put(c.isGemma() ? "hidden_activation" : "hidden_act", c.isGemma() ? "gelu_pytorch_tanh" : "silu");
        root.put("max_position_embeddings", c.maxPositionEmbeddings());
        root.put("rms_norm_eps", c.rmsNormEps());
        root.put("tie_word_embeddings", c.tieWordEmbeddings());
        if (c.isGemma()) { // one rope per layer kind
            ObjectNode ropes = root.putObject("rope_parameters");
            putRope(ropes.putObject("full_attention"), c.rope());
            putRope(ropes.putObject("sliding_attention"), c.gemma().localRope());
        } else {
            putRope(root.putObject("rope_parameters"), c.rope());
        }
        if (c.padTokenId() >= 0) {
            root.put("pad_token_id", c.padTokenId());
        } else {
            root.putNull("pad_token_id");
        }
        if (c.bosTokenId() >= 0) {
            root.put("bos_token_id", c.bosTokenId());
        } else {
            root.putNull("bos_token_id");
        }
        if (c.eosTokenIds().isEmpty()) {
            root.putNull("eos_token_id");
        } else if (c.eosTokenIds().size() == 1) {
            root.put("eos_token_id", c.eosTokenIds().get(0));
        } else {
            ArrayNode eos = root.putArray("eos_token_id");
            c.eosTokenIds().forEach(eos::add);
        }
        root.put("attention_dropout", 0.0);
        root.put("dtype", "float32");
        root.put("use_cache", true);
        String source = "config for " + c.spec().architecture();
        switch (c.family()) {
            case LLAMA -> {
                root.put("attention_bias", sameBias(c, source));
                root.put("mlp_bias", c.mlpBias());
            }
            case QWEN2 -> {
                if (!c.qkvBias() || c.outputBias() || c.mlpBias() || c.qkNorm()) {
                    throw ModelErrors.clash(
                            source,
                            "attention_bias",
                            "Qwen2 always has q/k/v biases and no other"
                                    + " biases or q/k norms; this config cannot be saved as Qwen2ForCausalLM");
                }
                root.put("use_sliding_window", false);
                root.putNull("sliding_window");
            }
            case QWEN3, QWEN3_MOE -> {
                if (!c.qkNorm() || c.mlpBias()) {
                    throw ModelErrors.clash(source, "qk_norm", "Qwen3 always has q/k norms and no MLP bias");
                }
                root.put("attention_bias", sameBias(c, source));
                root.put("use_sliding_window", false);
                root.putNull("sliding_window");
                if (c.isMoe()) {
                    putMoe(root, c.moe());
                }
            }
            case MISTRAL -> {
                if (c.qkvBias() || c.outputBias() || c.mlpBias() || c.qkNorm()) {
                    throw ModelErrors.clash(source, "attention_bias", "Mistral has no biases and no q/k norms");
                }
                if (c.hasSlidingWindow()) {
                    root.put("sliding_window", c.slidingWindow());
                } else {
                    root.putNull("sliding_window");
                }
            }
            case PHI3 -> {
                // Phi3Config reads the pre-training length from the top level (it overrides the rope parameters');
                // the default rope never reads it (0 here): left out, Phi3Config's default (4096) stands
                if (c.rope().originalMaxPositionEmbeddings() > 0) {
                    root.put("original_max_position_embeddings", c.rope().originalMaxPositionEmbeddings());
                }
                root.put("resid_pdrop", 0.0);
                root.put("embd_pdrop", 0.0);
                if (c.hasSlidingWindow()) {
                    root.put("sliding_window", c.slidingWindow());
                } else {
                    root.putNull("sliding_window");
                }
            }
            case GEMMA3 -> {
                root.put("attention_bias", false);
                double scalar = c.gemma().queryPreAttnScalar();
                if (scalar == Math.rint(scalar)) { // Gemma3TextConfig types it int and checks the type on load
                    root.put("query_pre_attn_scalar", (long) scalar);
                } else {
                    root.put("query_pre_attn_scalar", scalar);
                }
                if (c.hasSlidingWindow()) {
                    root.put("sliding_window", c.slidingWindow());
                } else { // only global layers
                    root.putNull("sliding_window");
                }
                ArrayNode types = root.putArray("layer_types");
                c.gemma().slidingLayers().forEach(s -> types.add(s ? "sliding_attention" : "full_attention"));
                root.putNull("attn_logit_softcapping");
                root.putNull("final_logit_softcapping");
                root.put("use_bidirectional_attention", false);
            }
            default -> throw new IllegalStateException(c.family().toString());
        }
        if (!EnumSet.of(ModelFamily.MISTRAL, ModelFamily.PHI3, ModelFamily.GEMMA3)
                        .contains(c.family())
                && c.hasSlidingWindow()) {
            throw ModelErrors.clash(
                    source, "sliding_window", "only Mistral, Phi-3 and Gemma 3 configs carry a sliding window here");
        }
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The experts under the names real Qwen3-MoE checkpoints use (num_experts, as vLLM reads it); the dense layers
     * as mlp_only_layers with decoder_sparse_step 1, which gives back the same layer map.
     */
    private static void putMoe(ObjectNode root, ModelConfig.Moe moe) {
        root.put("num_experts", moe.numExperts());
        root.put("num_experts_per_tok", moe.topK());
        root.put("moe_intermediate_size", moe.expertIntermediate());
        root.put("norm_topk_prob", moe.normTopkProb());
        root.put("decoder_sparse_step", 1);
        ArrayNode dense = root.putArray("mlp_only_layers");
        for (int l = 0; l < moe.sparseLayers().size(); l++) {
            if (!moe.sparseLayers().get(l)) {
                dense.add(l);
            }
        }
        root.put("output_router_logits", false);
        root.put("router_aux_loss_coef", moe.routerAuxLossCoef());
    }

    private static void putRope(ObjectNode rope, RopeConfig r) {
        rope.put("rope_type", r.type().hfName());
        rope.put("rope_theta", r.theta());
        if (r.type() != RopeConfig.Type.DEFAULT) {
            rope.put("factor", r.factor());
        }
        if (r.type() == RopeConfig.Type.LLAMA3) {
            rope.put("low_freq_factor", r.lowFreqFactor());
            rope.put("high_freq_factor", r.highFreqFactor());
            rope.put("original_max_position_embeddings", r.originalMaxPositionEmbeddings());
        }
        if (r.type() == RopeConfig.Type.LONGROPE) {
            rope.put("attention_factor", r.attentionFactor());
            r.shortFactor().forEach(rope.putArray("short_factor")::add);
            r.longFactor().forEach(rope.putArray("long_factor")::add);
            rope.put("original_max_position_embeddings", r.originalMaxPositionEmbeddings());
        }
        if (r.partialRotaryFactor() != 1.0) {
            rope.put("partial_rotary_factor", r.partialRotaryFactor());
        }
    }

    /** Writes {@code config.json} into {@code dir}. */
    public static Path write(ModelConfig c, Path dir) {
        try {
            Files.createDirectories(dir);
            return Files.writeString(dir.resolve("config.json"), toJson(c));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write config.json into " + dir + ": " + e.getMessage(), e);
        }
    }

    private static boolean sameBias(ModelConfig c, String source) {
        if (c.qkvBias() != c.outputBias()) {
            throw ModelErrors.clash(
                    source,
                    "attention_bias",
                    c.spec().architecture() + "'s attention_bias sets q/k/v"
                            + " and o_proj biases together; qkvBias=" + c.qkvBias() + " and outputBias="
                            + c.outputBias()
                            + " cannot be expressed");
        }
        return c.qkvBias();
    }
}
