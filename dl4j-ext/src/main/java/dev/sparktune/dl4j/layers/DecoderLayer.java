package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One pre-norm decoder layer: {@code h = x + attn(inputNorm(x))}, {@code out = h + mlp(postNorm(h))}.
 * N = B·T rows, C hidden. backward ADDS into every parameter gradient (never zeroes them).
 */
public final class DecoderLayer {
    private final RmsNorm inputNorm;
    private final Attention attention;
    private final RmsNorm postNorm;
    private final SwiGluMlp mlp;
    private final INDArray h; // [N, C] kept: residual after attention, postNorm's input
    private final INDArray out; // [N, C] kept: the next layer's input
    private final INDArray dH; // [N, C] scratch: the gradient through the residual stream

    /** {@code params} prefixed {@code model.layers.<i>.}. */
    public DecoderLayer(ModelConfig config, LayerParams params, int batch, int seqLen) {
        this(config, params, batch, seqLen, Projection.Factory.PLAIN);
    }

    /** With every linear projection built by {@code projections} (LoRA). */
    public DecoderLayer(
            ModelConfig config, LayerParams layerParams, int batch, int seqLen, Projection.Factory projections) {
        int rows = batch * seqLen;
        // fused weights (Phi-3) reach the attention and the MLP as their q/k/v and gate/up parts
        LayerParams params = layerParams.withParts(HfParamNames.parts(config));
        this.inputNorm = RmsNorm.of(params, "input_layernorm", config.rmsNormEps(), rows);
        this.attention = new Attention(config, params.child("self_attn."), batch, seqLen, projections);
        this.postNorm = RmsNorm.of(params, "post_attention_layernorm", config.rmsNormEps(), rows);
        this.mlp = new SwiGluMlp(params.child("mlp."), rows, projections);
        this.h = Shapes.buffer(rows, config.hiddenSize());
        this.out = Shapes.buffer(rows, config.hiddenSize());
        this.dH = Shapes.scratch(rows, config.hiddenSize());
    }

    /** Whether backward adds into any parameter gradient of this layer. */
    public boolean trainable() {
        return inputNorm.trainable() || attention.trainable() || postNorm.trainable() || mlp.trainable();
    }

    /** x [N, C] → [N, C] (owned buffer; x must stay unchanged until backward). */
    public INDArray forward(INDArray x, PackedBatch packed) {
        INDArray a = attention.forward(inputNorm.forward(x), packed);
        h.assign(x).addi(a);
        INDArray m = mlp.forward(postNorm.forward(h));
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
        dH.addi(postNorm.backward(mlp.backward(dH))); // the argument is complete before dH changes
        dH.addi(inputNorm.backward(attention.backward(dH)));
        return dH;
    }
}
