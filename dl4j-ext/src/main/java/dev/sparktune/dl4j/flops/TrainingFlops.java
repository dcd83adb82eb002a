package dev.sparktune.dl4j.flops;

import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.params.ParamLayout;
import java.util.function.Predicate;

/**
 * Model FLOPs per token of one training step (forward + backward, no recompute), the numerator of MFU. With N the
 * parameters that take part in a matrix product (every projection and the lm_head; the embedding lookup is free, but
 * a tied embedding counts once, as the lm_head), L layers, H·Q = heads × head dim and T the row length, full
 * fine-tuning is PaLM's {@code 6N + 12·L·H·Q·T}: 2N forward, 2N for the input gradients, 2N for the weight
 * gradients, and the two attention products (QKᵀ, PV) at 4·H·Q·T forward and 8·H·Q·T backward per layer.
 *
 * <p>What is not needed is not counted: weight gradients only for trained matrices (LoRA: the adapters only; freeze:
 * the selection), input gradients and the attention backward only down to the lowest layer with anything trained.
 * A LoRA adapter of rank r on a [out, in] weight adds r·(in + out) parameters to all three terms. Qwen3-MoE's
 * experts count k/E of their parameters: each token runs k of a layer's E (the router counts whole).
 *
 * <p>Two MFU numerators follow: the model FLOPs of {@link #perToken} at the row length T (PaLM's convention, what
 * the mfu metric reports), and the useful FLOPs of a packed row ({@link #perRow}): each document's tokens attend
 * only the document's own keys, so a document of d tokens needs {@code d·(linear + attention·d)}; padding needs
 * nothing. On packed rows of short documents the second is the smaller and says how much of the machine went to
 * work the data needed (our attention computes only the per-document blocks).
 *
 * @param linearPerToken          the matrix-product FLOPs of one token (every term but attention)
 * @param attentionPerTokenPerKey the attention FLOPs of one token per key it attends
 */
public record TrainingFlops(double linearPerToken, double attentionPerTokenPerKey) {
    /**
     * @param trained      which HF parameters get gradients (full: all; freeze: the selection; LoRA: none)
     * @param adapterParams LoRA adapter parameters (0 without LoRA); their layers all train
     */
    public static TrainingFlops of(ModelConfig c, Predicate<String> trained, long adapterParams) {
        ParamLayout layout = HfParamNames.layout(c);
        int layers = c.numLayers();
        double[] layerMatmul = new double[layers];
        boolean[] layerTrained = new boolean[layers];
        long head = (long) c.vocabSize() * c.hiddenSize();
        String headName = c.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
        double trainedMatmul = trained.test(headName) ? head : 0;
        boolean embeddingTrained = trained.test("model.embed_tokens.weight");
        for (ParamLayout.Entry e : layout.entries()) {
            if (!e.name().startsWith("model.layers.")) {
                continue;
            }
            int l = HfParamNames.layerIndex(e.name());
            boolean isTrained = trained.test(e.name());
            layerTrained[l] |= isTrained;
            if (e.shape().length == 2) {
                // a token passes through k of a sparse layer's E experts: an expert's matrix counts k/E of its size
                double active = e.name().contains(".mlp.experts.")
                        ? (double) e.length() * c.moe().topK() / c.moe().numExperts()
                        : e.length();
                layerMatmul[l] += active;
                trainedMatmul += isTrained ? active : 0;
            }
        }
        int lowest = 0;
        if (adapterParams == 0 && !embeddingTrained) {
            while (lowest < layers && !layerTrained[lowest]) {
                lowest++;
            }
        }
        double perKey = (double) c.numHeads() * c.headDim(); // one token's attention products per key, per layer
        double linear = 2.0 * (head + adapterParams);
        double attention = 4.0 * perKey * layers;
        // the head's input gradient is needed when anything below it trains
        linear += lowest < layers || trained.test("model.norm.weight") ? 2.0 * head : 0;
        for (int l = 0; l < layers; l++) {
            linear += 2.0 * layerMatmul[l];
            if (l >= lowest) {
                linear += 2.0 * layerMatmul[l];
                attention += 8.0 * perKey;
            }
        }
        linear += 2.0 * adapterParams + 2.0 * (trainedMatmul + adapterParams);
        return new TrainingFlops(linear, attention);
    }

    /** Model FLOPs of one token in a row of {@code seqLen} tokens. */
    public double perToken(int seqLen) {
        return linearPerToken + attentionPerTokenPerKey * seqLen;
    }

    /** Useful FLOPs of a packed row: per document of d tokens, d·(linear + attention·d). */
    public double perRow(int[] docLens) {
        double flops = 0;
        for (int d : docLens) {
            flops += d * (linearPerToken + attentionPerTokenPerKey * d);
        }
        return flops;
    }
}
