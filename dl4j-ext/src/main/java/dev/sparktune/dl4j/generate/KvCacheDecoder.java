package dev.sparktune.dl4j.generate;

import dev.sparktune.dl4j.layers.Gemm;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.params.ParamLayout;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The inference forward of a decoder with a key/value cache, for one sequence: tokens are appended in chunks (the
 * prompt, then one token per generated step) and each chunk attends to everything already cached, so a generated
 * token costs one token's forward instead of re-running the prefix. The math is the training layers' (HF eager
 * attention in fp32: RMSNorm, q/k norm, RoPE, GQA, sliding window, SwiGLU) without the activations kept for
 * backward, which is why it is a class of its own rather than a mode of {@code CausalLm}.
 *
 * <p>Weights are views of a flat parameter buffer in {@link HfParamNames} layout; for a LoRA model pass the merged
 * copy ({@code LoraAdapters.merge}). Not thread-safe: one decoder per thread.
 */
public final class KvCacheDecoder {
    private final ModelConfig config;
    private final ParamLayout layout;
    private final INDArray params;
    private final int capacity;
    private final INDArray[] keys;     // per layer [KV, capacity, D], after q/k norm and RoPE
    private final INDArray[] values;   // per layer [KV, capacity, D]
    private final float[] invFreq;
    private final float scale;
    private final INDArray lmHead;     // [V, C]
    private int length;

    /**
     * @param capacity the most tokens (prompt + generated) this decoder will hold
     */
    public KvCacheDecoder(ModelConfig config, ParamLayout layout, INDArray params, int capacity) {
        if (!HfParamNames.layout(config).entries().equals(layout.entries())) {
            throw new IllegalArgumentException("the layout is not the one HfParamNames gives for this config");
        }
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be > 0, got " + capacity);
        }
        this.config = config;
        this.layout = layout;
        this.params = params;
        this.capacity = capacity;
        this.keys = new INDArray[config.numLayers()];
        this.values = new INDArray[config.numLayers()];
        for (int l = 0; l < config.numLayers(); l++) {
            keys[l] = Nd4j.create(DataType.FLOAT, config.numKvHeads(), capacity, config.headDim());
            values[l] = Nd4j.create(DataType.FLOAT, config.numKvHeads(), capacity, config.headDim());
        }
        this.invFreq = config.rope().inverseFrequencies(config.headDim());
        this.scale = (float) Math.pow(config.headDim(), -0.5);
        this.lmHead = layout.view(params,
                config.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight");
    }

    public ModelConfig config() {
        return config;
    }

    /** Tokens cached so far (the position the next token gets). */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Forgets the cached sequence; the next {@link #append} starts a new one at position 0. */
    public void reset() {
        length = 0;
    }

    /**
     * Runs {@code tokens} at positions {@code length() ..}, caches their keys and values, and returns the logits
     * [V] that follow the last of them.
     */
    public float[] append(int[] tokens) {
        int n = tokens.length;
        if (n == 0) {
            throw new IllegalArgumentException("append needs at least one token");
        }
        if (length + n > capacity) {
            throw new IllegalArgumentException("the sequence would hold " + (length + n) + " tokens but the cache was"
                    + " sized for " + capacity + "; create the decoder with a larger capacity");
        }
        INDArray x = Nd4j.create(DataType.FLOAT, n, config.hiddenSize());
        INDArray embed = layout.view(params, "model.embed_tokens.weight");
        for (int i = 0; i < n; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + tokens[i] + " is outside the vocabulary [0, "
                        + config.vocabSize() + ")");
            }
            x.getRow(i).assign(embed.getRow(tokens[i]));
        }
        for (int l = 0; l < config.numLayers(); l++) {
            String p = HfParamNames.layerPrefix(l);
            x.addi(attention(l, rmsNorm(x, p + "input_layernorm.weight"), p + "self_attn."));
            x.addi(mlp(rmsNorm(x, p + "post_attention_layernorm.weight"), p + "mlp."));
        }
        length += n;
        INDArray last = rmsNorm(x.getRow(n - 1).reshape(1, config.hiddenSize()), "model.norm.weight");
        INDArray logits = Gemm.into(last, lmHead, Nd4j.create(DataType.FLOAT, 1, config.vocabSize()),
                false, true, 1.0, 0.0);
        return logits.data().asFloat();
    }

    private INDArray attention(int layer, INDArray h, String p) {
        int n = (int) h.size(0);
        int d = config.headDim();
        INDArray q = linear(h, p + "q_proj");
        INDArray k = linear(h, p + "k_proj");
        INDArray v = linear(h, p + "v_proj");
        if (config.qkNorm()) {
            q = rmsNorm(q.reshape((long) n * config.numHeads(), d), p + "q_norm.weight")
                    .reshape(n, (long) config.numHeads() * d);
            k = rmsNorm(k.reshape((long) n * config.numKvHeads(), d), p + "k_norm.weight")
                    .reshape(n, (long) config.numKvHeads() * d);
        }
        rope(q, config.numHeads());
        rope(k, config.numKvHeads());
        for (int kv = 0; kv < config.numKvHeads(); kv++) {
            keys[layer].get(NDArrayIndex.point(kv), NDArrayIndex.interval(length, length + n), NDArrayIndex.all())
                    .assign(k.get(NDArrayIndex.all(), NDArrayIndex.interval(kv * d, (kv + 1) * d)));
            values[layer].get(NDArrayIndex.point(kv), NDArrayIndex.interval(length, length + n), NDArrayIndex.all())
                    .assign(v.get(NDArrayIndex.all(), NDArrayIndex.interval(kv * d, (kv + 1) * d)));
        }
        int total = length + n;
        INDArray out = Nd4j.create(DataType.FLOAT, n, (long) config.numHeads() * d);
        for (int head = 0; head < config.numHeads(); head++) {
            int kv = head / config.groupSize();
            INDArray cachedK = keys[layer].get(NDArrayIndex.point(kv), NDArrayIndex.interval(0, total),
                    NDArrayIndex.all());
            INDArray cachedV = values[layer].get(NDArrayIndex.point(kv), NDArrayIndex.interval(0, total),
                    NDArrayIndex.all());
            INDArray qh = q.get(NDArrayIndex.all(), NDArrayIndex.interval(head * d, (head + 1) * d)).dup();
            INDArray scores = Gemm.into(qh, cachedK, Nd4j.create(DataType.FLOAT, n, total), false, true, scale, 0.0);
            INDArray probs = Nd4j.create(maskedSoftmax(scores.data().asFloat(), n, total), new long[] {n, total});
            out.get(NDArrayIndex.all(), NDArrayIndex.interval(head * d, (head + 1) * d))
                    .assign(Gemm.into(probs, cachedV, Nd4j.create(DataType.FLOAT, n, d), false, false, 1.0, 0.0));
        }
        return linear(out, p + "o_proj");
    }

    /** Row i is the token at position length + i: it sees cached positions j ≤ length + i inside the window. */
    private float[] maskedSoftmax(float[] s, int n, int total) {
        int window = config.slidingWindow();
        for (int i = 0; i < n; i++) {
            int pos = length + i;
            int lo = window > 0 ? Math.max(0, pos - window + 1) : 0;
            int row = i * total;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = lo; j <= pos; j++) {
                max = Math.max(max, s[row + j]);
            }
            double sum = 0;
            for (int j = lo; j <= pos; j++) {
                float e = (float) Math.exp(s[row + j] - max);
                s[row + j] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            for (int j = 0; j < total; j++) {
                s[row + j] = j >= lo && j <= pos ? s[row + j] * inv : 0f;
            }
        }
        return s;
    }

    private INDArray mlp(INDArray h, String p) {
        INDArray gate = linear(h, p + "gate_proj");
        INDArray up = linear(h, p + "up_proj");
        INDArray act = Transforms.sigmoid(gate, true).muli(gate).muli(up);
        return linear(act, p + "down_proj");
    }

    private INDArray linear(INDArray x, String name) {
        INDArray w = layout.view(params, name + ".weight");
        INDArray y = Gemm.into(x, w, Nd4j.create(DataType.FLOAT, x.size(0), w.size(0)), false, true, 1.0, 0.0);
        if (layout.contains(name + ".bias")) {
            y.addiRowVector(layout.view(params, name + ".bias"));
        }
        return y;
    }

    /** HF RMSNorm in fp32 over the last dimension: weight ⊙ x / sqrt(mean(x²) + eps); a new array. */
    private INDArray rmsNorm(INDArray x, String weightName) {
        INDArray inv = Transforms.pow(x.mul(x).mean(true, 1).addi(config.rmsNormEps()), -0.5, false);
        return x.mulColumnVector(inv).muliRowVector(layout.view(params, weightName));
    }

    /** In place on [n, H·D]: rotate-half RoPE at positions length .. length+n-1 (fp32 angles, as transformers). */
    private void rope(INDArray x, int heads) {
        int n = (int) x.size(0);
        int d = config.headDim();
        int half = d / 2;
        float[] a = x.reshape(x.length()).toFloatVector();
        for (int i = 0; i < n; i++) {
            float pos = length + i;
            for (int f = 0; f < half; f++) {
                float angle = invFreq[f] * pos;
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                for (int h = 0; h < heads; h++) {
                    int base = i * heads * d + h * d;
                    float x1 = a[base + f];
                    float x2 = a[base + f + half];
                    a[base + f] = x1 * c - x2 * s;
                    a[base + f + half] = x2 * c + x1 * s;
                }
            }
        }
        x.assign(Nd4j.create(a, x.shape()));
    }
}
