package dev.sparktune.dl4j.generate;

import dev.sparktune.dl4j.layers.ExpertRouting;
import dev.sparktune.dl4j.layers.Gemm;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.RopeConfig;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.params.Views;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The inference forward of a decoder with a key/value cache for a fixed number of sequence slots: tokens are appended
 * to a slot in chunks (the prompt, then one token per generated step) and each chunk attends to everything already
 * cached in its slot, so a generated token costs one token's forward instead of re-running the prefix. One step of
 * several slots ({@link #appendEach}) runs their tokens as the rows of one product per projection: the weights are
 * read once for all of them, which is what decoding is bound by. The math is the training layers' (HF eager
 * attention in fp32: RMSNorm, q/k norm, RoPE, GQA, sliding window, SwiGLU, and Gemma's sandwich norms, gelu MLP,
 * scaled embeddings and per-layer window and rope, Qwen3-MoE's routed experts) without the activations kept for
 * backward, which is why it is a class of its own rather than a mode of {@code CausalLm}.
 *
 * <p>A step of one token is hundreds of tiny operations; ND4J costs 0.1–0.3 ms per op here whatever its size
 * (measured: a 1×64·64×256 GEMM 0.24 ms, a 256-element add 0.13 ms), so vectors live in Java arrays and only the
 * large products (at least {@link #GEMM_MIN_PRODUCT} multiply-adds, e.g. the lm_head) go to ND4J's GEMM.
 *
 * <p>Weights are read from a flat parameter buffer in {@link HfParamNames} layout; for a LoRA model pass the merged
 * copy ({@code LoraAdapters.merge}). Not thread-safe: one decoder per thread.
 */
public final class KvCacheDecoder {
    /** Products with fewer multiply-adds than this run as Java loops (see the class comment). */
    static final long GEMM_MIN_PRODUCT = 1L << 20;

    private final ModelConfig config;
    private final int capacity;
    private final int hidden;
    private final int headDim;
    private final Layer[] layers;
    private final float[] finalNorm;
    private final INDArray embedding; // [V, C] view; keeps the memory embeddingRows reads alive
    private final FloatPointer embeddingRows; // the embedding's native memory from its first element
    private final DecodeProjection lmHead;
    private final float[][] keys; // per layer [slots][KV][capacity][D], after q/k norm and RoPE
    private final float[][] values; // per layer [slots][KV][capacity][D]
    private final LayerRope[] ropes; // per layer (Gemma's sliding and global layers differ)
    private final float scale;
    private final int[] lengths; // per slot

    /**
     * One projection of a decode step, forward only: y = x·Wᵀ (+ b), W [out, in]; {@code javaWeight} is a copy of W
     * when W is small, used while the product stays below {@code gemmMinProduct}. The training layer is
     * {@link dev.sparktune.dl4j.layers.Linear}, which keeps what its backward needs.
     */
    private record DecodeProjection(
            INDArray weight, float[] javaWeight, float[] bias, int out, int in, long gemmMinProduct) {
        static DecodeProjection of(ParamLayout layout, INDArray params, String name, long gemmMinProduct) {
            return of(layout, params, "", Map.of(), name, gemmMinProduct);
        }

        /** Layer {@code prefix}'s projection {@code name}; a part of a fused weight is a view of its rows. */
        static DecodeProjection of(
                ParamLayout layout,
                INDArray params,
                String prefix,
                Map<String, HfParamNames.Part> parts,
                String name,
                long gemmMinProduct) {
            HfParamNames.Part part = parts.get(name);
            INDArray w = part == null
                    ? layout.view(params, prefix + name + ".weight")
                    : Views.rows(layout.view(params, prefix + part.fused() + ".weight"), part.from(), part.to());
            name = prefix + name;
            int out = (int) w.size(0);
            int in = (int) w.size(1);
            float[] copy = (long) out * in < gemmMinProduct
                    ? w.reshape((long) out * in).toFloatVector()
                    : null;
            float[] bias = layout.contains(name + ".bias")
                    ? layout.view(params, name + ".bias").toFloatVector()
                    : null;
            return new DecodeProjection(w, copy, bias, out, in, gemmMinProduct);
        }

        /** {@link #apply} split into the n rows; from ND4J's result with a single copy per row. */
        float[][] applyRows(float[] x, int n) {
            float[][] rows = new float[n][];
            if (bias == null && !inJava(n)) {
                INDArray result = gemm(x, n);
                for (int r = 0; r < n; r++) {
                    rows[r] = result.data().getFloatsAt((long) r * out, out);
                }
                result.close();
                return rows;
            }
            float[] y = apply(x, n);
            for (int r = 0; r < n; r++) {
                rows[r] = Arrays.copyOfRange(y, r * out, (r + 1) * out);
            }
            return rows;
        }

        private boolean inJava(int n) {
            return javaWeight != null && (long) n * out * in < gemmMinProduct;
        }

        private INDArray gemm(float[] x, int n) {
            return Gemm.into(
                    Nd4j.createFromArray(x).reshape(n, in),
                    weight,
                    Nd4j.create(DataType.FLOAT, n, out),
                    false,
                    true,
                    1.0,
                    0.0);
        }

        float[] apply(float[] x, int n) {
            float[] y;
            if (inJava(n)) {
                y = new float[n * out];
                for (int r = 0; r < n; r++) {
                    int xr = r * in;
                    for (int o = 0; o < out; o++) {
                        int wr = o * in;
                        float s = 0f;
                        for (int i = 0; i < in; i++) {
                            s += x[xr + i] * javaWeight[wr + i];
                        }
                        y[r * out + o] = s;
                    }
                }
            } else {
                INDArray result = gemm(x, n);
                y = result.data().asFloat();
                result.close();
            }
            if (bias != null) {
                for (int r = 0; r < n; r++) {
                    for (int o = 0; o < out; o++) {
                        y[r * out + o] += bias[o];
                    }
                }
            }
            return y;
        }
    }

    private record Layer(
            float[] inputNorm,
            DecodeProjection q,
            DecodeProjection k,
            DecodeProjection v,
            DecodeProjection o,
            float[] qNorm,
            float[] kNorm,
            float[] postNorm,
            Mlp mlp, // null in a Qwen3-MoE sparse layer
            DecodeProjection router, // Qwen3-MoE's sparse layers only, else null
            Mlp[] experts, // with the router
            float[] attnOutNorm,
            float[] mlpOutNorm) {}

    /** A gated MLP's projections: the dense MLP, or one routed expert. */
    private record Mlp(DecodeProjection gate, DecodeProjection up, DecodeProjection down) {
        static Mlp of(Function<String, DecodeProjection> projection, String prefix) {
            return new Mlp(
                    projection.apply(prefix + "gate_proj"),
                    projection.apply(prefix + "up_proj"),
                    projection.apply(prefix + "down_proj"));
        }
    }

    /**
     * One sequence slot.
     *
     * @param capacity the most tokens (prompt + generated) this decoder will hold
     */
    public KvCacheDecoder(ModelConfig config, ParamLayout layout, INDArray params, int capacity) {
        this(config, layout, params, capacity, 1, GEMM_MIN_PRODUCT);
    }

    /**
     * @param capacity the most tokens (prompt + generated) each slot will hold
     * @param slots    sequences cached side by side
     */
    public KvCacheDecoder(ModelConfig config, ParamLayout layout, INDArray params, int capacity, int slots) {
        this(config, layout, params, capacity, slots, GEMM_MIN_PRODUCT);
    }

    /** With another Java/GEMM split, so that tests can run both paths on small models. */
    KvCacheDecoder(
            ModelConfig config, ParamLayout layout, INDArray params, int capacity, int slots, long gemmMinProduct) {
        if (!HfParamNames.layout(config).entries().equals(layout.entries())) {
            throw new IllegalArgumentException("the layout is not the one HfParamNames gives for this config");
        }
        if (capacity <= 0 || slots <= 0) {
            throw new IllegalArgumentException("capacity and slots must be > 0, got " + capacity + " and " + slots);
        }
        this.config = config;
        this.capacity = capacity;
        this.lengths = new int[slots];
        this.hidden = config.hiddenSize();
        this.headDim = config.headDim();
        this.layers = new Layer[config.numLayers()];
        this.keys = new float[config.numLayers()][];
        this.values = new float[config.numLayers()][];
        this.ropes = new LayerRope[config.numLayers()];
        Map<String, HfParamNames.Part> parts = HfParamNames.parts(config);
        for (int l = 0; l < layers.length; l++) {
            String p = HfParamNames.layerPrefix(l);
            ropes[l] = LayerRope.of(config.ropeOf(l), headDim);
            Function<String, DecodeProjection> projection =
                    name -> DecodeProjection.of(layout, params, p, parts, name, gemmMinProduct);
            Function<String, float[]> norm = name -> normScale(config, layout, params, p + name + ".weight");
            boolean gemma = config.isGemma();
            boolean sparse = config.isSparse(l);
            layers[l] = new Layer(
                    norm.apply("input_layernorm"),
                    projection.apply("self_attn.q_proj"),
                    projection.apply("self_attn.k_proj"),
                    projection.apply("self_attn.v_proj"),
                    projection.apply("self_attn.o_proj"),
                    config.qkNorm() ? norm.apply("self_attn.q_norm") : null,
                    config.qkNorm() ? norm.apply("self_attn.k_norm") : null,
                    norm.apply(gemma ? "pre_feedforward_layernorm" : "post_attention_layernorm"),
                    sparse ? null : Mlp.of(projection, "mlp."),
                    sparse ? projection.apply("mlp.gate") : null,
                    sparse ? experts(config, projection) : null,
                    gemma ? norm.apply("post_attention_layernorm") : null,
                    gemma ? norm.apply("post_feedforward_layernorm") : null);
            keys[l] = new float[Math.multiplyExact(slots * config.numKvHeads(), capacity * headDim)];
            values[l] = new float[keys[l].length];
        }
        this.finalNorm = normScale(config, layout, params, "model.norm.weight");
        this.embedding = layout.view(params, "model.embed_tokens.weight");
        if (embedding.elementWiseStride() != 1 || embedding.ordering() != 'c') {
            throw new IllegalArgumentException("the embedding must be a contiguous row-major view");
        }
        // a view's data buffer starts at the view's first element (Nd4jBehaviourTest pins this)
        this.embeddingRows = new FloatPointer(embedding.data().addressPointer());
        this.lmHead = DecodeProjection.of(
                layout, params, config.tieWordEmbeddings() ? "model.embed_tokens" : "lm_head", gemmMinProduct);
        this.scale = config.attentionScale();
    }

    private static Mlp[] experts(ModelConfig config, Function<String, DecodeProjection> projection) {
        Mlp[] experts = new Mlp[config.moe().numExperts()];
        for (int e = 0; e < experts.length; e++) {
            experts[e] = Mlp.of(projection, HfParamNames.expertPrefix(e));
        }
        return experts;
    }

    /** An RMSNorm's per-channel scale: its weight plus the family's offset (Gemma's 1 + w, in fp32 as HF). */
    private static float[] normScale(ModelConfig config, ParamLayout layout, INDArray params, String name) {
        float[] w = layout.view(params, name).toFloatVector();
        float offset = (float) config.normWeightOffset();
        for (int i = 0; i < w.length; i++) {
            w[i] += offset;
        }
        return w;
    }

    public ModelConfig config() {
        return config;
    }

    /** Tokens cached so far in slot 0 (the position its next token gets). */
    public int length() {
        return lengths[0];
    }

    public int capacity() {
        return capacity;
    }

    public int slots() {
        return lengths.length;
    }

    /** Forgets every cached sequence; each slot's next tokens start again at position 0. */
    public void reset() {
        Arrays.fill(lengths, 0);
    }

    /**
     * Runs {@code tokens} at slot 0's next positions, caches their keys and values, and returns the logits [V] that
     * follow the last of them.
     */
    public float[] append(int[] tokens) {
        return append(0, tokens);
    }

    /** {@link #append(int[])} for sequence slot {@code slot}. */
    public float[] append(int slot, int[] tokens) {
        return appendAll(new int[] {slot}, List.of(tokens))[0];
    }

    /**
     * {@link #append(int, int[])} for several slots at once (distinct slots, e.g. the prompts of a batch): every
     * projection runs once over all their tokens, and the lm_head once over the last token of each. Returns the
     * logits [V] that follow each slot's tokens, in the order of {@code slots}.
     */
    public float[][] appendAll(int[] slots, List<int[]> tokens) {
        if (slots.length != tokens.size() || slots.length == 0) {
            throw new IllegalArgumentException("appendAll needs one token sequence per slot, got " + tokens.size()
                    + " for " + slots.length + " slots");
        }
        requireDistinct("appendAll", slots);
        int rows = 0;
        for (int[] t : tokens) {
            if (t.length == 0) {
                throw new IllegalArgumentException("append needs at least one token");
            }
            rows += t.length;
        }
        int[] slotOfRow = new int[rows];
        int[] all = new int[rows];
        int[] lastRows = new int[slots.length];
        int at = 0;
        for (int s = 0; s < slots.length; s++) {
            int[] t = tokens.get(s);
            Arrays.fill(slotOfRow, at, at + t.length, slots[s]);
            System.arraycopy(t, 0, all, at, t.length);
            at += t.length;
            lastRows[s] = at - 1;
        }
        return forward(slotOfRow, all, lastRows);
    }

    /**
     * One decoding step of several sequences: appends {@code tokens[i]} to slot {@code slots[i]} (distinct slots)
     * and returns the logits [V] that follow each, in the same order.
     */
    public float[][] appendEach(int[] slots, int[] tokens) {
        if (slots.length != tokens.length || slots.length == 0) {
            throw new IllegalArgumentException("appendEach needs one token per slot, got " + tokens.length
                    + " tokens for " + slots.length + " slots");
        }
        requireDistinct("appendEach", slots);
        int[] everyRow = new int[tokens.length];
        Arrays.setAll(everyRow, i -> i);
        return forward(slots, tokens, everyRow);
    }

    /** A slot's rows must run in order within one forward: a batch names each slot once. */
    private static void requireDistinct(String method, int[] slots) {
        if (Arrays.stream(slots).distinct().count() != slots.length) {
            throw new IllegalArgumentException(method + " takes each slot once, got slots " + Arrays.toString(slots));
        }
    }

    /**
     * The rows' forward: row i is token {@code tokens[i]} at the next free position of slot {@code slotOfRow[i]}
     * (rows of one slot in order). Returns the logits after each of {@code logitRows}, in that order.
     */
    private float[][] forward(int[] slotOfRow, int[] tokens, int[] logitRows) {
        int n = tokens.length;
        int[] positions = new int[n];
        int[] next = lengths.clone();
        for (int i = 0; i < n; i++) {
            int slot = slotOfRow[i];
            if (slot < 0 || slot >= lengths.length) {
                throw new IllegalArgumentException("slot " + slot + " is outside [0, " + lengths.length + ")");
            }
            if (next[slot] >= capacity) {
                throw new IllegalArgumentException("slot " + slot + " would hold more than the " + capacity
                        + " tokens its cache was sized for; create the decoder with a larger capacity");
            }
            positions[i] = next[slot]++;
        }
        float[] x = new float[n * hidden];
        for (int i = 0; i < n; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
                throw new IllegalArgumentException(
                        "token id " + tokens[i] + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
            // straight from the native buffer: an ND4J getRow per token cost 0.1-0.3 ms (the class comment)
            embeddingRows.position((long) tokens[i] * hidden).get(x, i * hidden, hidden);
        }
        float embedScale = config.embeddingScale();
        if (embedScale != 1f) {
            for (int i = 0; i < x.length; i++) {
                x[i] *= embedScale;
            }
        }
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            float[] a = attention(l, layer, rmsNorm(x, n, hidden, layer.inputNorm()), slotOfRow, positions);
            addInto(x, layer.attnOutNorm() == null ? a : rmsNorm(a, n, hidden, layer.attnOutNorm()));
            float[] h = rmsNorm(x, n, hidden, layer.postNorm());
            float[] m = layer.mlp() != null ? mlp(layer.mlp(), h, n) : routedExperts(layer, h, n);
            addInto(x, layer.mlpOutNorm() == null ? m : rmsNorm(m, n, hidden, layer.mlpOutNorm()));
        }
        System.arraycopy(next, 0, lengths, 0, lengths.length);
        int rows = logitRows.length;
        float[] last = new float[rows * hidden];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(x, logitRows[r] * hidden, last, r * hidden, hidden);
        }
        return lmHead.applyRows(rmsNorm(last, rows, hidden, finalNorm), rows);
    }

    /** down(act(gate(h)) ⊙ up(h)) on n rows. */
    private float[] mlp(Mlp mlp, float[] h, int n) {
        float[] gate = mlp.gate().apply(h, n);
        float[] up = mlp.up().apply(h, n);
        boolean gelu = config.isGemma();
        for (int i = 0; i < gate.length; i++) {
            float g = gate[i];
            gate[i] = (gelu ? geluTanh(g) : g / (1f + (float) Math.exp(-g))) * up[i];
        }
        return mlp.down().apply(gate, n);
    }

    /**
     * Qwen3-MoE's sparse block on n rows: each token's k experts ({@link ExpertRouting}), each expert run once on the
     * rows routed to it, its outputs added into those rows with their weights.
     */
    private float[] routedExperts(Layer layer, float[] h, int n) {
        ModelConfig.Moe moe = config.moe();
        int k = moe.topK();
        ExpertRouting routing =
                ExpertRouting.route(layer.router().apply(h, n), n, moe.numExperts(), k, moe.normTopkProb());
        float[] out = new float[n * hidden];
        int[] pairs = new int[n * k];
        for (int e = 0; e < moe.numExperts(); e++) {
            int count = 0;
            for (int pair = 0; pair < n * k; pair++) {
                if (routing.chosen()[pair] == e) {
                    pairs[count++] = pair;
                }
            }
            if (count == 0) {
                continue;
            }
            float[] xs = new float[count * hidden];
            for (int r = 0; r < count; r++) {
                System.arraycopy(h, pairs[r] / k * hidden, xs, r * hidden, hidden);
            }
            float[] ys = mlp(layer.experts()[e], xs, count);
            for (int r = 0; r < count; r++) {
                float w = routing.weights()[pairs[r]];
                int to = pairs[r] / k * hidden;
                for (int c = 0; c < hidden; c++) {
                    out[to + c] += w * ys[r * hidden + c];
                }
            }
        }
        return out;
    }

    /** gelu_pytorch_tanh: g·(1 + tanh(√(2/π)·(g + 0.044715·g³)))/2. */
    private static float geluTanh(float g) {
        double t = Math.tanh(Math.sqrt(2.0 / Math.PI) * (g + 0.044715 * g * g * g));
        return (float) (0.5 * g * (1.0 + t));
    }

    private float[] attention(int l, Layer layer, float[] h, int[] slotOfRow, int[] positions) {
        int n = h.length / hidden;
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        float[] q = layer.q().apply(h, n);
        float[] k = layer.k().apply(h, n);
        float[] v = layer.v().apply(h, n);
        if (layer.qNorm() != null) {
            q = rmsNorm(q, n * heads, headDim, layer.qNorm());
            k = rmsNorm(k, n * kvHeads, headDim, layer.kNorm());
        }
        rope(ropes[l], q, positions, slotOfRow, heads);
        rope(ropes[l], k, positions, slotOfRow, kvHeads);
        for (int i = 0; i < n; i++) {
            for (int kv = 0; kv < kvHeads; kv++) {
                int at = ((slotOfRow[i] * kvHeads + kv) * capacity + positions[i]) * headDim;
                System.arraycopy(k, (i * kvHeads + kv) * headDim, keys[l], at, headDim);
                System.arraycopy(v, (i * kvHeads + kv) * headDim, values[l], at, headDim);
            }
        }
        float[] out = new float[n * heads * headDim];
        float[] p = new float[capacity];
        int window = config.windowOf(l);
        for (int i = 0; i < n; i++) {
            int pos = positions[i];
            int lo = window > 0 ? Math.max(0, pos - window + 1) : 0;
            for (int head = 0; head < heads; head++) {
                int kvBase = (slotOfRow[i] * kvHeads + head / config.groupSize()) * capacity;
                int qAt = (i * heads + head) * headDim;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = lo; j <= pos; j++) {
                    int kAt = (kvBase + j) * headDim;
                    float s = 0f;
                    for (int d = 0; d < headDim; d++) {
                        s += q[qAt + d] * keys[l][kAt + d];
                    }
                    p[j] = s * scale;
                    max = Math.max(max, p[j]);
                }
                double sum = 0;
                for (int j = lo; j <= pos; j++) {
                    p[j] = (float) Math.exp(p[j] - max);
                    sum += p[j];
                }
                float inv = (float) (1.0 / sum);
                for (int j = lo; j <= pos; j++) {
                    float w = p[j] * inv;
                    int vAt = (kvBase + j) * headDim;
                    for (int d = 0; d < headDim; d++) {
                        out[qAt + d] += w * values[l][vAt + d];
                    }
                }
            }
        }
        return layer.o().apply(out, n);
    }

    /** HF RMSNorm in fp32 over rows of {@code dim}: weight ⊙ x / sqrt(mean(x²) + eps); a new array. */
    private float[] rmsNorm(float[] x, int rows, int dim, float[] weight) {
        float[] y = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            int at = r * dim;
            double squares = 0;
            for (int i = 0; i < dim; i++) {
                squares += (double) x[at + i] * x[at + i];
            }
            float inv = (float) (1.0 / Math.sqrt((float) (squares / dim) + config.rmsNormEps()));
            for (int i = 0; i < dim; i++) {
                y[at + i] = weight[i] * (x[at + i] * inv);
            }
        }
        return y;
    }

    /**
     * In place on [n, H·D]: rotate-half RoPE ({@code rc}, the layer's) of each head's first rotaryDim dims, row i at {@code positions[i]} (fp32
     * angles, as transformers). Longrope chooses short or long factors per sequence (slot) from its largest position
     * in this call, as transformers does for a forward of that sequence alone with its cache (so a generation
     * crossing the pre-training length keeps the keys it cached with the short ones, as transformers' cache does).
     */
    private void rope(LayerRope rope, float[] a, int[] positions, int[] slotOfRow, int heads) {
        RopeConfig rc = rope.config();
        int half = rc.rotaryDim(headDim) / 2;
        int[] slotMax = new int[lengths.length];
        for (int i = 0; i < positions.length; i++) {
            slotMax[slotOfRow[i]] = Math.max(slotMax[slotOfRow[i]], positions[i]);
        }
        float scaling = (float) rc.attentionFactor();
        for (int i = 0; i < positions.length; i++) {
            float pos = positions[i];
            float[] invFreq = rc.usesLongFactors(slotMax[slotOfRow[i]] + 1) ? rope.longFreq() : rope.shortFreq();
            for (int f = 0; f < half; f++) {
                float angle = invFreq[f] * pos;
                float c = (float) Math.cos(angle) * scaling;
                float s = (float) Math.sin(angle) * scaling;
                for (int h = 0; h < heads; h++) {
                    int base = (i * heads + h) * headDim;
                    float x1 = a[base + f];
                    float x2 = a[base + f + half];
                    a[base + f] = x1 * c - x2 * s;
                    a[base + f + half] = x2 * c + x1 * s;
                }
            }
        }
    }

    /**
     * A layer's rope with its inverse frequencies computed once: within the pre-training length, and past it
     * (longrope's long factors; the same as the short ones otherwise).
     */
    private record LayerRope(RopeConfig config, float[] shortFreq, float[] longFreq) {
        static LayerRope of(RopeConfig config, int headDim) {
            return new LayerRope(
                    config,
                    config.inverseFrequencies(headDim, 1),
                    config.inverseFrequencies(headDim, Integer.MAX_VALUE));
        }
    }

    private static void addInto(float[] x, float[] delta) {
        for (int i = 0; i < x.length; i++) {
            x[i] += delta[i];
        }
    }
}
