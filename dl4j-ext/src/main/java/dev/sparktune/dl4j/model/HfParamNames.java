package dev.sparktune.dl4j.model;

import dev.sparktune.dl4j.params.ParamLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checkpoint-name mapping: every parameter of a {@link ModelConfig} under its transformers name and shape, in the
 * order transformers registers them. The same layout addresses parameters, gradients and optimizer state.
 *
 * <p>Phi-3 stores q/k/v as one {@code qkv_proj} [(NH + 2·KV)·D, C] and gate/up as one {@code gate_up_proj} [2·I, C].
 * A row range of a row-major [OUT, IN] weight is contiguous, so the layers address q_proj … up_proj as {@link #parts}
 * of those entries: views, with one checkpoint name and one flat-parameter entry per fused weight.
 * Qwen3-MoE's sparse layers hold a router {@code mlp.gate} [E, C] and per expert e {@code mlp.experts.<e>.gate_proj},
 * {@code up_proj} [I, C] and {@code down_proj} [C, I] (moe_intermediate_size I) instead of the MLP.
 */
public final class HfParamNames {
    /** The projections of a decoder layer with separate weights, in layer order (PEFT's names). */
    public static final List<String> PROJECTIONS =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    /** Phi-3's projections, in layer order (PEFT's names): q/k/v and gate/up fused. */
    public static final List<String> FUSED_PROJECTIONS = List.of("qkv_proj", "o_proj", "gate_up_proj", "down_proj");

    /**
     * Rows [from, to) of the fused projection {@code fused} (its module name relative to a layer, e.g.
     * {@code self_attn.qkv_proj}).
     */
    public record Part(String fused, long from, long to) {}

    private HfParamNames() {}

    /**
     * The attention's projections: Qwen3-MoE's LoRA targets. PEFT 0.21 maps gate_proj / up_proj / down_proj on that
     * model to its experts' 3-D parameters (target_parameters), which we do not adapt.
     */
    public static final List<String> ATTENTION_PROJECTIONS = PROJECTIONS.subList(0, 4);

    /** The projection names of {@code c}'s decoder layers as PEFT targets them (and we adapt), in layer order. */
    public static List<String> projections(ModelConfig c) {
        if (c.isMoe()) {
            return ATTENTION_PROJECTIONS;
        }
        return c.family() == ModelFamily.PHI3 ? FUSED_PROJECTIONS : PROJECTIONS;
    }

    /** The sub-module ({@code self_attn.} or {@code mlp.}) a projection of {@link #projections} lives in. */
    public static String module(String projection) {
        return switch (projection) {
            case "q_proj", "k_proj", "v_proj", "o_proj", "qkv_proj" -> "self_attn." + projection;
            case "gate_proj", "up_proj", "down_proj", "gate_up_proj" -> "mlp." + projection;
            default -> throw new IllegalArgumentException(projection + " is not a decoder projection");
        };
    }

    /**
     * The separate projections that are row ranges of a fused weight, keyed by their module name relative to a layer
     * ({@code self_attn.q_proj} → rows [0, NH·D) of {@code self_attn.qkv_proj}); empty for unfused families.
     */
    public static Map<String, Part> parts(ModelConfig c) {
        if (c.family() != ModelFamily.PHI3) {
            return Map.of();
        }
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long inter = c.intermediateSize();
        Map<String, Part> parts = new LinkedHashMap<>();
        parts.put("self_attn.q_proj", new Part("self_attn.qkv_proj", 0, q));
        parts.put("self_attn.k_proj", new Part("self_attn.qkv_proj", q, q + kv));
        parts.put("self_attn.v_proj", new Part("self_attn.qkv_proj", q + kv, q + 2 * kv));
        parts.put("mlp.gate_proj", new Part("mlp.gate_up_proj", 0, inter));
        parts.put("mlp.up_proj", new Part("mlp.gate_up_proj", inter, 2 * inter));
        return Map.copyOf(parts);
    }

    /**
     * Expert {@code e}'s module prefix in a sparse layer ({@code mlp.experts.<e>.}): the per-expert names real
     * Qwen3-MoE checkpoints carry and transformers 5 writes (it fuses them into 3-D parameters in memory only).
     */
    public static String expertPrefix(int expert) {
        return "mlp.experts." + expert + ".";
    }

    /**
     * {@code name} as transformers 5 names the parameter in memory, what LLaMA-Factory's name matching sees: Qwen3-MoE's
     * per-expert {@code mlp.experts.<e>.gate_proj.weight} / {@code up_proj.weight} are one fused
     * {@code mlp.experts.gate_up_proj}, {@code down_proj.weight} one {@code mlp.experts.down_proj}; others unchanged.
     */
    public static String inMemoryName(String name) {
        Matcher m = EXPERT.matcher(name);
        if (!m.matches()) {
            return name;
        }
        return m.group(1) + "mlp.experts." + (m.group(2).equals("down_proj") ? "down_proj" : "gate_up_proj");
    }

    private static final Pattern EXPERT =
            Pattern.compile("(.*)mlp\\.experts\\.\\d+\\.(gate_proj|up_proj|down_proj)\\.weight");

    /**
     * Where a multimodal checkpoint ({@link ModelSpec#wrapsText}) keeps its text model's tensors in its files:
     * transformers saves Gemma3ForConditionalGeneration's as {@code language_model.model.*} and
     * {@code language_model.lm_head.weight}, next to {@code vision_tower.*} and {@code multi_modal_projector.*}.
     */
    public static final String STORED_TEXT_PREFIX = "language_model.";

    /** The name parameter {@code name} (a name of {@link #layout}) has in the checkpoint files of {@code spec}. */
    public static String stored(ModelSpec spec, String name) {
        return spec.wrapsText() ? STORED_TEXT_PREFIX + name : name;
    }

    /**
     * The module path PEFT sees for {@code name} (a parameter or module under {@link #layout}'s names) on the model
     * transformers builds for {@code spec}: Gemma3ForConditionalGeneration holds its text model at
     * {@code model.language_model} (its decoder layers at {@code model.language_model.layers.<l>}), its lm_head at the
     * top, as a causal LM does.
     */
    public static String peftModule(ModelSpec spec, String name) {
        return spec.wrapsText() && name.startsWith("model.")
                ? "model.language_model." + name.substring("model.".length())
                : name;
    }

    public static String layerPrefix(int layer) {
        return "model.layers." + layer + ".";
    }

    /** The decoder layer a parameter belongs to ({@code model.layers.<l>....}); IllegalArgumentException otherwise. */
    public static int layerIndex(String name) {
        if (!name.startsWith("model.layers.")) {
            throw new IllegalArgumentException(name + " is not a decoder layer's parameter");
        }
        return Integer.parseInt(name.substring("model.layers.".length()).split("\\.", 2)[0]);
    }

    /** The full parameter layout of {@code c} (lm_head only when embeddings are not tied). */
    public static ParamLayout layout(ModelConfig c) {
        long hidden = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long inter = c.intermediateSize();
        ParamLayout.Builder b = ParamLayout.builder();
        b.add("model.embed_tokens.weight", c.vocabSize(), hidden);
        for (int l = 0; l < c.numLayers(); l++) {
            String p = layerPrefix(l);
            b.add(p + "input_layernorm.weight", hidden);
            if (c.family() == ModelFamily.PHI3) {
                // no biases in Phi-3; q/k/v and gate/up fused (see parts)
                b.add(p + "self_attn.qkv_proj.weight", q + 2 * kv, hidden);
                b.add(p + "self_attn.o_proj.weight", hidden, q);
                b.add(p + "post_attention_layernorm.weight", hidden);
                b.add(p + "mlp.gate_up_proj.weight", 2 * inter, hidden);
                b.add(p + "mlp.down_proj.weight", hidden, inter);
                continue;
            }
            linear(b, p + "self_attn.q_proj", q, hidden, c.qkvBias());
            linear(b, p + "self_attn.k_proj", kv, hidden, c.qkvBias());
            linear(b, p + "self_attn.v_proj", kv, hidden, c.qkvBias());
            linear(b, p + "self_attn.o_proj", hidden, q, c.outputBias());
            if (c.qkNorm()) {
                b.add(p + "self_attn.q_norm.weight", c.headDim());
                b.add(p + "self_attn.k_norm.weight", c.headDim());
            }
            b.add(p + "post_attention_layernorm.weight", hidden);
            if (c.isGemma()) { // the norm on the attention's output above, these two around the MLP
                b.add(p + "pre_feedforward_layernorm.weight", hidden);
                b.add(p + "post_feedforward_layernorm.weight", hidden);
            }
            if (c.isSparse(l)) { // the router, then each expert's SwiGLU as the checkpoint names them
                long expertInter = c.moe().expertIntermediate();
                b.add(p + "mlp.gate.weight", c.moe().numExperts(), hidden);
                for (int e = 0; e < c.moe().numExperts(); e++) {
                    String x = p + expertPrefix(e);
                    b.add(x + "gate_proj.weight", expertInter, hidden);
                    b.add(x + "up_proj.weight", expertInter, hidden);
                    b.add(x + "down_proj.weight", hidden, expertInter);
                }
                continue;
            }
            linear(b, p + "mlp.gate_proj", inter, hidden, c.mlpBias());
            linear(b, p + "mlp.up_proj", inter, hidden, c.mlpBias());
            linear(b, p + "mlp.down_proj", hidden, inter, c.mlpBias());
        }
        b.add("model.norm.weight", hidden);
        if (!c.tieWordEmbeddings()) {
            b.add("lm_head.weight", c.vocabSize(), hidden);
        }
        return b.build();
    }

    private static void linear(ParamLayout.Builder b, String name, long out, long in, boolean bias) {
        b.add(name + ".weight", out, in);
        if (bias) {
            b.add(name + ".bias", out);
        }
    }
}
