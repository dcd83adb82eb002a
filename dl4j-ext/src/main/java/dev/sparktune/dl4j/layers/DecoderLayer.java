package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One pre-norm decoder layer: {@code h = x + attn(inputNorm(x))}, {@code out = h + mlp(postNorm(h))}. Gemma's adds a
 * norm on each branch's output: {@code h = x + postAttnNorm(attn(inputNorm(x)))},
 * {@code out = h + postMlpNorm(mlp(preMlpNorm(h)))} (its post_attention_layernorm is the first of these, its
 * pre_feedforward_layernorm the MLP's input norm).
 * Qwen3-MoE's sparse layers have routed experts ({@link RoutedExperts}) in place of the MLP.
 * N = B·T rows, C hidden. backward ADDS into every parameter gradient (never zeroes them).
 */
public final class DecoderLayer {
    private final RmsNorm inputNorm;
    private final Attention attention;
    private final RmsNorm postNorm; // the MLP's input norm
    private final FeedForward mlp; // the dense MLP, or Qwen3-MoE's routed experts in its sparse layers
    private final RmsNorm attnOutNorm; // Gemma only, else null
    private final RmsNorm mlpOutNorm; // Gemma only, else null
    // Gemma only, else null: kept copies of the attention's and the MLP's outputs, the inputs of the two norms above
    // (the branches return scratch that the next layer overwrites, and a norm's backward reads its input)
    private final INDArray attnOut;
    private final INDArray mlpOut;
    private final INDArray h; // [N, C] kept: residual after attention, postNorm's input
    private final INDArray out; // [N, C] kept: the next layer's input
    private final INDArray dH; // [N, C] scratch: the gradient through the residual stream

    /**
     * Decoder layer 0, {@code params} prefixed {@code model.layers.0.}: a layer on its own (tests, benchmarks). Gemma's
     * layers differ in window and rope, so a model builds each with its index.
     */
    public DecoderLayer(ModelConfig config, LayerParams params, int batch, int seqLen) {
        this(config, 0, params, batch, seqLen, Projection.Factory.PLAIN);
    }

    /** Decoder layer {@code layer}, with every linear projection built by {@code projections} (LoRA). */
    public DecoderLayer(
            ModelConfig config,
            int layer,
            LayerParams layerParams,
            int batch,
            int seqLen,
            Projection.Factory projections) {
        int rows = batch * seqLen;
        // fused weights (Phi-3) reach the attention and the MLP as their q/k/v and gate/up parts
        LayerParams params = layerParams.withParts(HfParamNames.parts(config));
        double eps = config.rmsNormEps();
        double offset = config.normWeightOffset();
        OutputUse read = OutputUse.READ_IN_BACKWARD;
        this.inputNorm = RmsNorm.of(params, "input_layernorm", eps, offset, rows, read);
        this.attention = new Attention(config, layer, params.child("self_attn."), batch, seqLen, projections);
        if (config.isGemma()) {
            // the branch-output norms' outputs are added into the residual at once: nothing reads them in backward
            OutputUse added = OutputUse.FORWARD_ONLY;
            this.attnOutNorm = RmsNorm.of(params, "post_attention_layernorm", eps, offset, rows, added);
            this.postNorm = RmsNorm.of(params, "pre_feedforward_layernorm", eps, offset, rows, read);
            this.mlpOutNorm = RmsNorm.of(params, "post_feedforward_layernorm", eps, offset, rows, added);
            this.attnOut = Shapes.buffer(rows, config.hiddenSize());
            this.mlpOut = Shapes.buffer(rows, config.hiddenSize());
        } else {
            this.attnOut = null;
            this.mlpOut = null;
            this.attnOutNorm = null;
            this.postNorm = RmsNorm.of(params, "post_attention_layernorm", eps, offset, rows, read);
            this.mlpOutNorm = null;
        }
        SwiGluMlp.Activation act = config.isGemma() ? SwiGluMlp.Activation.GELU_TANH : SwiGluMlp.Activation.SILU;
        this.mlp = config.isSparse(layer)
                ? new RoutedExperts(config, params.child("mlp."), rows)
                : new SwiGluMlp(params.child("mlp."), rows, projections, act);
        this.h = Shapes.buffer(rows, config.hiddenSize());
        this.out = Shapes.buffer(rows, config.hiddenSize());
        this.dH = Shapes.scratch(rows, config.hiddenSize());
    }

    /** Whether backward adds into any parameter gradient of this layer. */
    public boolean trainable() {
        return inputNorm.trainable()
                || attention.trainable()
                || postNorm.trainable()
                || mlp.trainable()
                || attnOutNorm != null && (attnOutNorm.trainable() || mlpOutNorm.trainable());
    }

    /** x [N, C] → [N, C] (owned buffer; x must stay unchanged until backward). */
    public INDArray forward(INDArray x, PackedBatch packed) {
        INDArray a = attention.forward(inputNorm.forward(x), packed);
        if (attnOutNorm != null) {
            a = attnOutNorm.forward(attnOut.assign(a));
        }
        h.assign(x).addi(a);
        INDArray m = mlp.forward(postNorm.forward(h));
        if (mlpOutNorm != null) {
            m = mlpOutNorm.forward(mlpOut.assign(m));
        }
        out.assign(h).addi(m);
        return out;
    }

    /**
     * Returns dx [N, C] (a scratch buffer; {@code dOut} may be it: layers sharing scratch pass the gradient down in
     * place). Residuals: dH = dOut + dPostNorm(dMlp(dOut)), dx = dH + dInputNorm(dAttn(dH)).
     */
    public INDArray backward(INDArray dOut) {
        if (dOut != dH) {
            dH.assign(dOut);
        }
        // each argument is complete before dH changes
        dH.addi(postNorm.backward(mlp.backward(mlpOutNorm == null ? dH : mlpOutNorm.backward(dH))));
        dH.addi(inputNorm.backward(attention.backward(attnOutNorm == null ? dH : attnOutNorm.backward(dH))));
        return dH;
    }
}
