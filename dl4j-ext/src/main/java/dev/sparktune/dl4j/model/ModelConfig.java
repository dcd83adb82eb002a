package dev.sparktune.dl4j.model;

import java.util.List;

/**
 * A decoder-only causal LM's shape and options, as read from an HF {@code config.json} by {@link HfConfigReader}.
 *
 * @param spec                  the architecture (family, HF names)
 * @param vocabSize             V
 * @param hiddenSize            C
 * @param intermediateSize      MLP inner width
 * @param numLayers             L
 * @param numHeads              NH (query heads)
 * @param numKvHeads            KV heads (GQA; divides NH)
 * @param headDim               D (may differ from C / NH, e.g. Qwen3)
 * @param rmsNormEps            epsilon inside every RMSNorm
 * @param rope                  rotary embedding parameters
 * @param maxPositionEmbeddings longest position the model was configured for
 * @param tieWordEmbeddings     lm_head shares the embedding matrix
 * @param qkvBias               q/k/v projections have a bias (Qwen2 always; Llama/Qwen3 via attention_bias)
 * @param outputBias            o_proj has a bias (Llama/Qwen3 attention_bias)
 * @param mlpBias               gate/up/down have a bias (Llama mlp_bias)
 * @param qkNorm                RMSNorm over D on each query and key head before RoPE (Qwen3)
 * @param slidingWindow         keys further back than this many positions are masked; 0 = no window (Mistral)
 * @param bosTokenId            -1 when unset
 * @param eosTokenIds           possibly empty
 * @param padTokenId            the embedding's padding_idx (-1 when unset): transformers' nn.Embedding gives that row
 *                              no gradient from the lookup, so neither do we
 * @param gemma                 Gemma 3's per-layer attention settings; null for the other families
 * @param moe                   Qwen3-MoE's routed experts; null for the other families
 */
public record ModelConfig(
        ModelSpec spec,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double rmsNormEps,
        RopeConfig rope,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean qkvBias,
        boolean outputBias,
        boolean mlpBias,
        boolean qkNorm,
        int slidingWindow,
        int bosTokenId,
        List<Integer> eosTokenIds,
        int padTokenId,
        Gemma gemma,
        Moe moe) {

    /**
     * What Gemma 3 (Gemma3ForCausalLM) adds: sliding-window and global layers, each kind with its own RoPE, and the
     * attention scale from query_pre_attn_scalar. The family itself implies the rest: RMSNorm scaling by (1 + w),
     * norms after attention and around the MLP, q/k norms, embeddings times sqrt(hidden_size), a gelu_pytorch_tanh
     * MLP.
     *
     * @param queryPreAttnScalar attention scores are scaled by its -1/2 power (not head_dim's)
     * @param slidingLayers      per decoder layer: true = sliding_attention (window, local rope), false = global
     * @param localRope          the sliding layers' rope (rope_local_base_freq; never scaled)
     */
    public record Gemma(double queryPreAttnScalar, List<Boolean> slidingLayers, RopeConfig localRope) {
        public Gemma {
            if (!(queryPreAttnScalar > 0)) {
                throw new IllegalArgumentException("query_pre_attn_scalar must be > 0, got " + queryPreAttnScalar);
            }
            if (localRope == null || localRope.type() != RopeConfig.Type.DEFAULT) {
                throw new IllegalArgumentException("the sliding layers' rope must be the default rope");
            }
            slidingLayers = List.copyOf(slidingLayers);
        }
    }

    /**
     * What Qwen3-MoE (Qwen3MoeForCausalLM) adds: in its sparse layers a router ({@code mlp.gate}, [E, C]) picks
     * {@code topK} of {@code numExperts} SwiGLU experts per token (softmax over all E in fp32, the k largest, their
     * probabilities renormalised to sum 1 when {@code normTopkProb}), and the layer's output is the experts' outputs
     * weighted by those probabilities. Its other layers have the dense MLP of width intermediate_size.
     *
     * @param numExperts          E (num_experts; transformers 5 writes it as num_local_experts)
     * @param topK                k (num_experts_per_tok)
     * @param expertIntermediate  each expert's inner width (moe_intermediate_size)
     * @param normTopkProb        renormalise the k picked probabilities (norm_topk_prob)
     * @param sparseLayers        per decoder layer: true = routed experts, false = the dense MLP (from mlp_only_layers
     *                            and decoder_sparse_step, as Qwen3MoeDecoderLayer decides)
     * @param routerAuxLossCoef   router_aux_loss_coef, kept to be written back; the load-balancing loss itself is off
     *                            (output_router_logits false: see docs/training.md)
     */
    public record Moe(
            int numExperts,
            int topK,
            int expertIntermediate,
            boolean normTopkProb,
            List<Boolean> sparseLayers,
            double routerAuxLossCoef) {
        public Moe {
            if (numExperts <= 0 || topK <= 0 || topK > numExperts) {
                throw new IllegalArgumentException(
                        "num_experts_per_tok must be in [1, num_experts " + numExperts + "], got " + topK);
            }
            if (expertIntermediate <= 0) {
                throw new IllegalArgumentException("moe_intermediate_size must be > 0, got " + expertIntermediate);
            }
            sparseLayers = List.copyOf(sparseLayers);
        }
    }

    public ModelConfig {
        if (spec == null || rope == null) {
            throw new IllegalArgumentException("spec and rope are required");
        }
        positive("vocabSize", vocabSize);
        positive("hiddenSize", hiddenSize);
        positive("intermediateSize", intermediateSize);
        positive("numLayers", numLayers);
        positive("numHeads", numHeads);
        positive("numKvHeads", numKvHeads);
        positive("headDim", headDim);
        positive("maxPositionEmbeddings", maxPositionEmbeddings);
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numHeads
                    + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be even for RoPE, got " + headDim);
        }
        if (!(rmsNormEps > 0)) {
            throw new IllegalArgumentException("rms_norm_eps must be > 0, got " + rmsNormEps);
        }
        if (slidingWindow < 0) {
            throw new IllegalArgumentException("slidingWindow must be >= 0 (0 = none), got " + slidingWindow);
        }
        if (padTokenId < -1 || padTokenId >= vocabSize) {
            throw new IllegalArgumentException(
                    "pad_token_id must be unset or in [0, vocab_size " + vocabSize + "), got " + padTokenId);
        }
        rope.rotaryDim(headDim); // a partial rotary factor or longrope factors that do not fit head_dim fail here
        if (spec.family() != ModelFamily.PHI3
                && (rope.partialRotaryFactor() != 1.0 || rope.type() == RopeConfig.Type.LONGROPE)) {
            throw new IllegalArgumentException(
                    "partial rotary embeddings and longrope are implemented for Phi3ForCausalLM only");
        }
        if (spec.family() == ModelFamily.PHI3 && (qkvBias || outputBias || mlpBias || qkNorm)) {
            throw new IllegalArgumentException("Phi3ForCausalLM has no biases and no q/k norms");
        }
        if ((spec.family() == ModelFamily.GEMMA3) != (gemma != null)) {
            throw new IllegalArgumentException("Gemma settings are for Gemma3ForCausalLM, and it requires them");
        }
        if (gemma != null) {
            if (gemma.slidingLayers().size() != numLayers) {
                throw new IllegalArgumentException("layer_types has "
                        + gemma.slidingLayers().size() + " entries for num_hidden_layers " + numLayers);
            }
            if (!qkNorm || qkvBias || outputBias || mlpBias) {
                throw new IllegalArgumentException("Gemma3ForCausalLM has q/k norms and no biases");
            }
            if (gemma.slidingLayers().contains(true) && slidingWindow == 0) {
                throw new IllegalArgumentException("sliding_attention layers need a sliding_window");
            }
        }
        if ((spec.family() == ModelFamily.QWEN3_MOE) != (moe != null)) {
            throw new IllegalArgumentException("MoE settings are for Qwen3MoeForCausalLM, and it requires them");
        }
        if (moe != null) {
            if (moe.sparseLayers().size() != numLayers) {
                throw new IllegalArgumentException("the MoE layer map has "
                        + moe.sparseLayers().size() + " entries for num_hidden_layers " + numLayers);
            }
            if (!qkNorm || mlpBias || slidingWindow != 0) {
                throw new IllegalArgumentException(
                        "Qwen3MoeForCausalLM has q/k norms, no MLP bias and no sliding window");
            }
        }
        eosTokenIds = List.copyOf(eosTokenIds == null ? List.of() : eosTokenIds);
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + value);
        }
    }

    public ModelFamily family() {
        return spec.family();
    }

    /** Query heads per KV head. */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    public boolean hasSlidingWindow() {
        return slidingWindow > 0;
    }

    public boolean isMoe() {
        return moe != null;
    }

    /** Whether decoder layer {@code layer} routes tokens to experts (else it has the dense MLP). */
    public boolean isSparse(int layer) {
        return moe != null && moe.sparseLayers().get(layer);
    }

    public boolean isGemma() {
        return gemma != null;
    }

    /** Keys layer {@code layer} masks beyond this many positions back; 0 = none (Gemma's global layers). */
    public int windowOf(int layer) {
        return gemma == null || gemma.slidingLayers().get(layer) ? slidingWindow : 0;
    }

    /** The rope of layer {@code layer} (Gemma's sliding layers have their own). */
    public RopeConfig ropeOf(int layer) {
        return gemma != null && gemma.slidingLayers().get(layer) ? gemma.localRope() : rope;
    }

    /** The factor on the attention scores: query_pre_attn_scalar^-1/2 for Gemma, head_dim^-1/2 otherwise. */
    public float attentionScale() {
        return (float) Math.pow(gemma == null ? headDim : gemma.queryPreAttnScalar(), -0.5);
    }

    /**
     * What RMSNorm adds to its weight before scaling: 1 for Gemma (weights stored centred on 0), 0 otherwise.
     */
    public double normWeightOffset() {
        return gemma == null ? 0.0 : 1.0;
    }

    /**
     * The factor on the embedding rows: Gemma's sqrt(hidden_size), which transformers keeps as an fp32 tensor and
     * casts to the weight's dtype (fp32 here: frozen narrow weights are widened before use); 1 otherwise.
     */
    public float embeddingScale() {
        return gemma == null ? 1.0f : (float) Math.sqrt(hiddenSize);
    }
}
