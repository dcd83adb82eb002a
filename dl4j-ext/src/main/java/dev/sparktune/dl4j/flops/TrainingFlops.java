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
 * A LoRA adapter of rank r on a [out, in] weight adds r·(in + out) parameters to all three terms.
 */
public final class TrainingFlops {
    private TrainingFlops() {
    }

    /**
     * @param trained      which HF parameters get gradients (full: all; freeze: the selection; LoRA: none)
     * @param adapterParams LoRA adapter parameters (0 without LoRA); their layers all train
     */
    public static double perToken(ModelConfig c, int seqLen, Predicate<String> trained, long adapterParams) {
        ParamLayout layout = HfParamNames.layout(c);
        int layers = c.numLayers();
        long[] layerMatmul = new long[layers];
        boolean[] layerTrained = new boolean[layers];
        long head = (long) c.vocabSize() * c.hiddenSize();
        String headName = c.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
        long trainedMatmul = trained.test(headName) ? head : 0;
        boolean embeddingTrained = trained.test("model.embed_tokens.weight");
        for (ParamLayout.Entry e : layout.entries()) {
            if (!e.name().startsWith("model.layers.")) {
                continue;
            }
            int l = Integer.parseInt(e.name().substring("model.layers.".length()).split("\\.", 2)[0]);
            boolean isTrained = trained.test(e.name());
            layerTrained[l] |= isTrained;
            if (e.shape().length == 2) {
                layerMatmul[l] += e.length();
                trainedMatmul += isTrained ? e.length() : 0;
            }
        }
        int lowest = 0;
        if (adapterParams == 0 && !embeddingTrained) {
            while (lowest < layers && !layerTrained[lowest]) {
                lowest++;
            }
        }
        double attention = (double) c.numHeads() * c.headDim() * seqLen;
        double forward = 2.0 * (head + adapterParams) + 4.0 * attention * layers;
        // the head's input gradient is needed when anything below it trains
        double inputGrads = lowest < layers || trained.test("model.norm.weight") ? 2.0 * head : 0;
        for (int l = 0; l < layers; l++) {
            forward += 2.0 * layerMatmul[l];
            if (l >= lowest) {
                inputGrads += 2.0 * layerMatmul[l] + 8.0 * attention;
            }
        }
        inputGrads += 2.0 * adapterParams;
        double weightGrads = 2.0 * (trainedMatmul + adapterParams);
        return forward + inputGrads + weightGrads;
    }
}
