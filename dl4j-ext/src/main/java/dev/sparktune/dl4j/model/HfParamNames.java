package dev.sparktune.dl4j.model;

import dev.sparktune.dl4j.params.ParamLayout;

/**
 * The checkpoint-name mapping: every parameter of a {@link ModelConfig} under its transformers name and shape, in the
 * order transformers registers them. The same layout addresses parameters, gradients and optimizer state.
 */
public final class HfParamNames {
    private HfParamNames() {}

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
            linear(b, p + "self_attn.q_proj", q, hidden, c.qkvBias());
            linear(b, p + "self_attn.k_proj", kv, hidden, c.qkvBias());
            linear(b, p + "self_attn.v_proj", kv, hidden, c.qkvBias());
            linear(b, p + "self_attn.o_proj", hidden, q, c.outputBias());
            if (c.qkNorm()) {
                b.add(p + "self_attn.q_norm.weight", c.headDim());
                b.add(p + "self_attn.k_norm.weight", c.headDim());
            }
            b.add(p + "post_attention_layernorm.weight", hidden);
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
