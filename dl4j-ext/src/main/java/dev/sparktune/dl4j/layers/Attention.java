package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.model.ModelConfig;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Self-attention of one decoder layer on packed rows: q/k/v projections (optional bias), optional per-head q/k
 * RMSNorm (Qwen3), RoPE, grouped-query attention that is causal within each document and blocked across documents
 * (and optionally limited to a sliding window), then o_proj.
 *
 * <p>Dimension letters: B rows of T tokens, N = B·T, C hidden, NH query heads, KV key/value heads, G = NH/KV,
 * D head dim, L a document's length. Per (row, head, document) block: S = Q·Kᵀ·D^-½ (L×L, masked), P = softmax(S),
 * O = P·V. Query head h reads kv head h / G (HF's repeat_kv).
 *
 * <p>backward ADDS into all parameter gradients (never zeroes them).
 */
public final class Attention {
    private final String name;
    private final int batch;
    private final int seqLen;
    private final int rows;
    private final int heads;
    private final int kvHeads;
    private final int group;
    private final int headDim;
    private final int window;         // 0 = none
    private final float scale;
    private final Projection qProj;
    private final Projection kProj;
    private final Projection vProj;
    private final Projection oProj;
    private final RmsNorm qNorm;      // null unless Qwen3
    private final RmsNorm kNorm;
    private final Rope rope;
    private final INDArray qRot;      // [N, NH·D]
    private final INDArray kRot;      // [N, KV·D]
    private final INDArray qh;        // [B, NH, T, D]
    private final INDArray kh;        // [B, KV, T, D]
    private final INDArray vh;        // [B, KV, T, D]
    private final INDArray probs;     // [B·NH·T·T] flat: per (b, h), its blocks' L×L probabilities back to back
    private final INDArray oh;        // [B, NH, T, D]
    private final INDArray attnOut;   // [N, NH·D]
    private final INDArray dOh;       // [B, NH, T, D]
    private final INDArray dQh;       // [B, NH, T, D]
    private final INDArray dKh;       // [B, KV, T, D]
    private final INDArray dVh;       // [B, KV, T, D]
    private final INDArray dScores;   // [T·T] flat scratch
    private final INDArray dQRot;     // [N, NH·D]
    private final INDArray dKRot;     // [N, KV·D]
    private final INDArray dV;        // [N, KV·D]
    private PackedBatch current;

    /** Builds from {@code params} holding q_proj, k_proj, v_proj, o_proj (+ q_norm, k_norm when configured). */
    public Attention(ModelConfig config, LayerParams params, int batch, int seqLen) {
        this(config, params, batch, seqLen, Projection.Factory.PLAIN);
    }

    /** With q/k/v/o built by {@code projections} (e.g. LoRA adapters on frozen weights). */
    public Attention(ModelConfig config, LayerParams params, int batch, int seqLen, Projection.Factory projections) {
        this.name = params.prefix().isEmpty() ? "attention" : params.prefix();
        this.batch = batch;
        this.seqLen = seqLen;
        this.rows = batch * seqLen;
        this.heads = config.numHeads();
        this.kvHeads = config.numKvHeads();
        this.group = config.groupSize();
        this.headDim = config.headDim();
        this.window = config.slidingWindow();
        this.scale = (float) Math.pow(headDim, -0.5);
        this.qProj = projections.create(params, "q_proj", rows);
        this.kProj = projections.create(params, "k_proj", rows);
        this.vProj = projections.create(params, "v_proj", rows);
        this.oProj = projections.create(params, "o_proj", rows);
        check(qProj.outFeatures() == (long) heads * headDim && kProj.outFeatures() == (long) kvHeads * headDim
                && vProj.outFeatures() == (long) kvHeads * headDim && oProj.inFeatures() == (long) heads * headDim,
                "projection shapes do not match heads=" + heads + ", kv_heads=" + kvHeads + ", head_dim=" + headDim);
        if (config.qkNorm()) {
            this.qNorm = RmsNorm.of(params, "q_norm", config.rmsNormEps(), rows * heads);
            this.kNorm = RmsNorm.of(params, "k_norm", config.rmsNormEps(), rows * kvHeads);
        } else {
            this.qNorm = null;
            this.kNorm = null;
        }
        this.rope = new Rope(config.rope(), headDim, rows);
        long q = (long) heads * headDim;
        long kv = (long) kvHeads * headDim;
        this.qRot = Shapes.buffer(rows, q);
        this.kRot = Shapes.buffer(rows, kv);
        this.qh = Shapes.buffer(batch, heads, seqLen, headDim);
        this.kh = Shapes.buffer(batch, kvHeads, seqLen, headDim);
        this.vh = Shapes.buffer(batch, kvHeads, seqLen, headDim);
        this.probs = Shapes.buffer((long) batch * heads * seqLen * seqLen);
        this.oh = Shapes.buffer(batch, heads, seqLen, headDim);
        this.attnOut = Shapes.buffer(rows, q);
        this.dOh = Shapes.buffer(batch, heads, seqLen, headDim);
        this.dQh = Shapes.buffer(batch, heads, seqLen, headDim);
        this.dKh = Shapes.buffer(batch, kvHeads, seqLen, headDim);
        this.dVh = Shapes.buffer(batch, kvHeads, seqLen, headDim);
        this.dScores = Shapes.buffer((long) seqLen * seqLen);
        this.dQRot = Shapes.buffer(rows, q);
        this.dKRot = Shapes.buffer(rows, kv);
        this.dV = Shapes.buffer(rows, kv);
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(name + ": " + message);
        }
    }

    /** Whether backward adds into any parameter gradient. */
    public boolean trainable() {
        return qProj.trainable() || kProj.trainable() || vProj.trainable() || oProj.trainable()
                || qNorm != null && (qNorm.trainable() || kNorm.trainable());
    }

    /** x [N, C] → [N, C] (owned buffer). */
    public INDArray forward(INDArray x, PackedBatch packed) {
        check(packed.batch() == batch && packed.seqLen() == seqLen, "batch is [B=" + packed.batch() + ", T="
                + packed.seqLen() + "] but the buffers were sized for [B=" + batch + ", T=" + seqLen + "]");
        current = packed;
        rope.setPositions(packed);
        INDArray q = qProj.forward(x);
        INDArray k = kProj.forward(x);
        INDArray v = vProj.forward(x);
        if (qNorm != null) {
            q = qNorm.forward(q.reshape((long) rows * heads, headDim)).reshape(rows, (long) heads * headDim);
            k = kNorm.forward(k.reshape((long) rows * kvHeads, headDim)).reshape(rows, (long) kvHeads * headDim);
        }
        rope.forward(q, qRot);
        rope.forward(k, kRot);
        toHeads(qRot, qh, heads);
        toHeads(kRot, kh, kvHeads);
        toHeads(v, vh, kvHeads);
        FloatBuffer p = Shapes.floats(probs);
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int off = (b * heads + h) * seqLen * seqLen;
                int start = 0;
                for (int len : packed.blocksUnsafe(b)) {
                    INDArray qs = block(qh, b, h, start, len);
                    INDArray ks = block(kh, b, h / group, start, len);
                    INDArray vs = block(vh, b, h / group, start, len);
                    INDArray s = square(probs, off, len);
                    Gemm.into(qs, ks, s, false, true, scale, 0.0);
                    maskedSoftmax(p, off, len);
                    Gemm.into(s, vs, block(oh, b, h, start, len), false, false, 1.0, 0.0);
                    off += len * len;
                    start += len;
                }
            }
        }
        attnOut.reshape(batch, seqLen, heads, headDim).assign(oh.permute(0, 2, 1, 3));
        return oProj.forward(attnOut);
    }

    /** Returns dx [N, C] (a buffer owned by q_proj); adds into every parameter gradient. */
    public INDArray backward(INDArray dOut) {
        if (current == null) {
            throw new IllegalStateException(name + ": backward before forward");
        }
        INDArray dAttn = oProj.backward(dOut);
        toHeads(dAttn, dOh, heads);
        dKh.assign(0.0);
        dVh.assign(0.0);
        FloatBuffer p = Shapes.floats(probs);
        FloatBuffer ds = Shapes.floats(dScores);
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int off = (b * heads + h) * seqLen * seqLen;
                int start = 0;
                for (int len : current.blocksUnsafe(b)) {
                    INDArray qs = block(qh, b, h, start, len);
                    INDArray ks = block(kh, b, h / group, start, len);
                    INDArray vs = block(vh, b, h / group, start, len);
                    INDArray dOs = block(dOh, b, h, start, len);
                    INDArray ps = square(probs, off, len);
                    INDArray dPs = square(dScores, 0, len);
                    Gemm.into(dOs, vs, dPs, false, true, 1.0, 0.0);                 // dP = dO·Vᵀ
                    Gemm.into(ps, dOs, block(dVh, b, h / group, start, len), true, false, 1.0, 1.0); // dV += Pᵀ·dO
                    softmaxBackward(p, off, ds, len);                               // dS (scaled) in dScores
                    Gemm.into(dPs, ks, block(dQh, b, h, start, len), false, false, 1.0, 0.0); // dQ = dS·K
                    Gemm.into(dPs, qs, block(dKh, b, h / group, start, len), true, false, 1.0, 1.0); // dK += dSᵀ·Q
                    off += len * len;
                    start += len;
                }
            }
        }
        fromHeads(dQh, dQRot, heads);
        fromHeads(dKh, dKRot, kvHeads);
        fromHeads(dVh, dV, kvHeads);
        rope.backward(dQRot, dQRot);
        rope.backward(dKRot, dKRot);
        INDArray dq = dQRot;
        INDArray dk = dKRot;
        if (qNorm != null) {
            dq = qNorm.backward(dQRot.reshape((long) rows * heads, headDim)).reshape(rows, (long) heads * headDim);
            dk = kNorm.backward(dKRot.reshape((long) rows * kvHeads, headDim)).reshape(rows, (long) kvHeads * headDim);
        }
        INDArray dx = qProj.backward(dq);
        kProj.backwardAccumulate(dk, dx);
        vProj.backwardAccumulate(dV, dx);
        return dx;
    }

    /** [N, H·D] token-major → [B, H, T, D] head-major (writing through a permuted destination is the fast way). */
    private void toHeads(INDArray tokenMajor, INDArray headMajor, int h) {
        headMajor.permute(0, 2, 1, 3).assign(tokenMajor.reshape(batch, seqLen, h, headDim));
    }

    private void fromHeads(INDArray headMajor, INDArray tokenMajor, int h) {
        tokenMajor.reshape(batch, seqLen, h, headDim).assign(headMajor.permute(0, 2, 1, 3));
    }

    /** Rows [start, start+len) of head h of row b: a contiguous [len, D] view. */
    private static INDArray block(INDArray headMajor, int b, int h, int start, int len) {
        return headMajor.get(NDArrayIndex.point(b), NDArrayIndex.point(h), NDArrayIndex.interval(start, start + len),
                NDArrayIndex.all());
    }

    /** A contiguous [len, len] view at {@code offset} of a flat buffer. */
    private static INDArray square(INDArray flat, int offset, int len) {
        return flat.get(NDArrayIndex.interval(offset, offset + len * len)).reshape(len, len);
    }

    /** Row i may see keys j with j ≤ i (causal) and i − j &lt; window (sliding window); the rest get probability 0. */
    private int firstKey(int i) {
        return window > 0 ? Math.max(0, i - window + 1) : 0;
    }

    private void maskedSoftmax(FloatBuffer p, int off, int len) {
        for (int i = 0; i < len; i++) {
            int row = off + i * len;
            int lo = firstKey(i);
            float max = Float.NEGATIVE_INFINITY;
            for (int j = lo; j <= i; j++) {
                max = Math.max(max, p.get(row + j));
            }
            double sum = 0;
            for (int j = lo; j <= i; j++) {
                float e = (float) Math.exp(p.get(row + j) - max);
                p.put(row + j, e);
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            for (int j = 0; j < len; j++) {
                p.put(row + j, j >= lo && j <= i ? p.get(row + j) * inv : 0f);
            }
        }
    }

    /**
     * In place on dP (at {@code ds}[0..len²)): with P = softmax(S) per row and S = D^-½·Q·Kᵀ,
     * dS_ij = P_ij·(dP_ij − Σ_k P_ik·dP_ik), then times D^-½ so dQ = dS·K and dK = dSᵀ·Q directly.
     */
    private void softmaxBackward(FloatBuffer p, int off, FloatBuffer ds, int len) {
        for (int i = 0; i < len; i++) {
            int prow = off + i * len;
            int drow = i * len;
            int lo = firstKey(i);
            double dot = 0;
            for (int j = lo; j <= i; j++) {
                dot += (double) p.get(prow + j) * ds.get(drow + j);
            }
            for (int j = 0; j < len; j++) {
                float g = j >= lo && j <= i ? (float) (p.get(prow + j) * (ds.get(drow + j) - dot)) * scale : 0f;
                ds.put(drow + j, g);
            }
        }
    }
}
