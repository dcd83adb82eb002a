package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.params.Views;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Self-attention of one decoder layer on packed rows: q/k/v projections (optional bias), optional per-head q/k
 * RMSNorm (Qwen3, Gemma), RoPE, grouped-query attention that is causal within each document and blocked across documents
 * (and optionally limited to a sliding window), then o_proj.
 *
 * <p>Dimension letters: B rows of T tokens, N = B·T, C hidden, NH query heads, KV key/value heads, G = NH/KV,
 * D head dim, L a document's length. Per (row, head, document) block: S = Q·Kᵀ·D^-½ (Gemma: query_pre_attn_scalar^-½;
 * L×L, masked), P = softmax(S),
 * O = P·V. Query head h reads kv head h / G (HF's repeat_kv).
 *
 * <p>Per document the queries are taken in tiles of {@value #ROW_TILE} rows against only the keys up to each tile's
 * last row, so causality halves the work of the products rather than masking it afterwards.
 *
 * <p>Memory: the probabilities are not kept. The forward keeps each row's max and 1/sum, and the backward recomputes
 * a block's S and from them exactly the forward's P (flash attention's trade: one more L×L·D product per block
 * instead of NH·T² floats per layer). What the backward reads (rotated q, k, v head-major, the attention output
 * feeding o_proj, the q/k projections under their norms) is kept; every other buffer is scratch shared by all
 * layers.
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
    private final int window; // 0 = none
    private final float scale;
    private final Projection qProj;
    private final Projection kProj;
    private final Projection vProj;
    private final Projection oProj;
    private final RmsNorm qNorm; // null unless Qwen3
    private final RmsNorm kNorm;
    private final Rope rope;
    private final SoftmaxRows softmax;
    private final INDArray qRot; // [N, NH·D] scratch
    private final INDArray kRot; // [N, KV·D] scratch
    private final INDArray qh; // [B, NH, T, D] kept
    private final INDArray kh; // [B, KV, T, D] kept
    private final INDArray vh; // [B, KV, T, D] kept
    private final INDArray stats; // [B·NH·T·2] kept: per (b, h, token), the softmax row's max and 1/sum
    private final INDArray scores; // [T·T] scratch: one block's S, then P
    private final INDArray oh; // [B, NH, T, D] scratch
    private final INDArray attnOut; // [N, NH·D] kept: o_proj's input
    private final INDArray dOh; // [B, NH, T, D] scratch
    private final INDArray dQh; // [B, NH, T, D] scratch
    private final INDArray dKh; // [B, KV, T, D] scratch
    private final INDArray dVh; // [B, KV, T, D] scratch
    private final INDArray dScores; // [T·T] scratch
    private final INDArray dQRot; // [N, NH·D] scratch
    private final INDArray dKRot; // [N, KV·D] scratch
    private final INDArray dV; // [N, KV·D] scratch
    private PackedBatch current;
    /**
     * Query rows per tile of a document's attention: each tile multiplies only the keys up to its last row, so the
     * products skip the masked half of S (about (1 + 1/tiles) / 2 of the full L×L work remains).
     */
    static final int ROW_TILE = 256;

    /**
     * Decoder layer 0's attention (its window and rope) from {@code params} holding q_proj, k_proj, v_proj, o_proj
     * (+ q_norm, k_norm when configured): a layer on its own (tests, benchmarks).
     */
    public Attention(ModelConfig config, LayerParams params, int batch, int seqLen) {
        this(config, 0, params, batch, seqLen, Projection.Factory.PLAIN);
    }

    /**
     * Decoder layer {@code layer}'s attention (its window and rope: Gemma's differ per layer), with q/k/v/o built by
     * {@code projections} (e.g. LoRA adapters on frozen weights).
     */
    public Attention(
            ModelConfig config, int layer, LayerParams params, int batch, int seqLen, Projection.Factory projections) {
        this.name = params.prefix().isEmpty() ? "attention" : params.prefix();
        this.batch = batch;
        this.seqLen = seqLen;
        this.rows = batch * seqLen;
        this.heads = config.numHeads();
        this.kvHeads = config.numKvHeads();
        this.group = config.groupSize();
        this.headDim = config.headDim();
        this.window = config.windowOf(layer);
        this.scale = config.attentionScale();
        // under q/k norms the projections' outputs are the norms' inputs, read again in backward
        OutputUse qk = config.qkNorm() ? OutputUse.READ_IN_BACKWARD : OutputUse.FORWARD_ONLY;
        this.qProj = projections.create(params, "q_proj", rows, qk);
        this.kProj = projections.create(params, "k_proj", rows, qk);
        this.vProj = projections.create(params, "v_proj", rows, OutputUse.FORWARD_ONLY);
        this.oProj = projections.create(params, "o_proj", rows, OutputUse.FORWARD_ONLY);
        check(
                qProj.outFeatures() == (long) heads * headDim
                        && kProj.outFeatures() == (long) kvHeads * headDim
                        && vProj.outFeatures() == (long) kvHeads * headDim
                        && oProj.inFeatures() == (long) heads * headDim,
                "projection shapes do not match heads=" + heads + ", kv_heads=" + kvHeads + ", head_dim=" + headDim);
        if (config.qkNorm()) {
            double eps = config.rmsNormEps();
            double offset = config.normWeightOffset();
            this.qNorm = RmsNorm.of(params, "q_norm", eps, offset, rows * heads, OutputUse.FORWARD_ONLY);
            this.kNorm = RmsNorm.of(params, "k_norm", eps, offset, rows * kvHeads, OutputUse.FORWARD_ONLY);
        } else {
            this.qNorm = null;
            this.kNorm = null;
        }
        this.rope = new Rope(config.ropeOf(layer), headDim, rows);
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new IllegalStateException(name + ": the attention softmax runs on the incubating Vector API, which "
                    + "this JVM was started without: add --add-modules=jdk.incubator.vector (all the flags of "
                    + "conf/jvm.properties; spark-submit.sh adds them for the driver and the executors)");
        }
        this.softmax = new SoftmaxRows(seqLen);
        long q = (long) heads * headDim;
        long kv = (long) kvHeads * headDim;
        this.qRot = Shapes.scratch(rows, q);
        this.kRot = Shapes.scratch(rows, kv);
        this.qh = Shapes.buffer(batch, heads, seqLen, headDim);
        this.kh = Shapes.buffer(batch, kvHeads, seqLen, headDim);
        this.vh = Shapes.buffer(batch, kvHeads, seqLen, headDim);
        this.stats = Shapes.buffer(2L * batch * heads * seqLen);
        this.scores = Shapes.scratch((long) seqLen * seqLen);
        this.oh = Shapes.scratch(batch, heads, seqLen, headDim);
        this.attnOut = Shapes.buffer(rows, q);
        this.dOh = Shapes.scratch(batch, heads, seqLen, headDim);
        this.dQh = Shapes.scratch(batch, heads, seqLen, headDim);
        this.dKh = Shapes.scratch(batch, kvHeads, seqLen, headDim);
        this.dVh = Shapes.scratch(batch, kvHeads, seqLen, headDim);
        this.dScores = Shapes.scratch((long) seqLen * seqLen);
        this.dQRot = Shapes.scratch(rows, q);
        this.dKRot = Shapes.scratch(rows, kv);
        this.dV = Shapes.scratch(rows, kv);
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(name + ": " + message);
        }
    }

    /** Whether backward adds into any parameter gradient. */
    public boolean trainable() {
        return qProj.trainable()
                || kProj.trainable()
                || vProj.trainable()
                || oProj.trainable()
                || qNorm != null && (qNorm.trainable() || kNorm.trainable());
    }

    /** x [N, C] → [N, C] (a scratch buffer: the caller consumes it before the next layer runs). */
    public INDArray forward(INDArray x, PackedBatch packed) {
        check(
                packed.batch() == batch && packed.seqLen() == seqLen,
                "batch is [B=" + packed.batch() + ", T=" + packed.seqLen() + "] but the buffers were sized for [B="
                        + batch + ", T=" + seqLen + "]");
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
        FloatBuffer s = Shapes.floats(scores);
        FloatBuffer st = Shapes.floats(stats);
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int start = 0;
                for (int len : packed.blocksUnsafe(b)) {
                    INDArray qs = block(qh, b, h, start, len);
                    INDArray ks = block(kh, b, h / group, start, len);
                    INDArray vs = block(vh, b, h / group, start, len);
                    INDArray os = block(oh, b, h, start, len);
                    for (int r0 = 0; r0 < len; r0 += ROW_TILE) {
                        int r1 = Math.min(len, r0 + ROW_TILE);
                        int k0 = firstKey(r0);
                        INDArray tile = tile(scores, len, r0, r1, k0);
                        Gemm.into(rows(qs, r0, r1), rows(ks, k0, r1), tile, false, true, scale, 0.0);
                        softmax.forward(s, 0, len, window, st, statsOffset(b, h, start), r0, r1, k0);
                        Gemm.into(tile, rows(vs, k0, r1), rows(os, r0, r1), false, false, 1.0, 0.0);
                    }
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
        FloatBuffer s = Shapes.floats(scores);
        FloatBuffer st = Shapes.floats(stats);
        FloatBuffer ds = Shapes.floats(dScores);
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int start = 0;
                for (int len : current.blocksUnsafe(b)) {
                    INDArray qs = block(qh, b, h, start, len);
                    INDArray ks = block(kh, b, h / group, start, len);
                    INDArray vs = block(vh, b, h / group, start, len);
                    INDArray dOs = block(dOh, b, h, start, len);
                    INDArray dQs = block(dQh, b, h, start, len);
                    INDArray dKs = block(dKh, b, h / group, start, len);
                    INDArray dVs = block(dVh, b, h / group, start, len);
                    for (int r0 = 0; r0 < len; r0 += ROW_TILE) {
                        int r1 = Math.min(len, r0 + ROW_TILE);
                        int k0 = firstKey(r0);
                        INDArray p = tile(scores, len, r0, r1, k0);
                        INDArray dP = tile(dScores, len, r0, r1, k0);
                        INDArray q = rows(qs, r0, r1);
                        INDArray k = rows(ks, k0, r1);
                        INDArray dO = rows(dOs, r0, r1);
                        Gemm.into(q, k, p, false, true, scale, 0.0); // S again
                        softmax.recompute(s, 0, len, window, st, statsOffset(b, h, start), r0, r1, k0); // its P
                        Gemm.into(dO, rows(vs, k0, r1), dP, false, true, 1.0, 0.0); // dP = dO·Vᵀ
                        Gemm.into(p, dO, rows(dVs, k0, r1), true, false, 1.0, 1.0); // dV += Pᵀ·dO
                        softmax.backward(s, 0, ds, 0, len, window, scale, r0, r1, k0); // dS (scaled) in dP
                        Gemm.into(dP, k, rows(dQs, r0, r1), false, false, 1.0, 0.0); // dQ = dS·K
                        Gemm.into(dP, q, rows(dKs, k0, r1), true, false, 1.0, 1.0); // dK += dSᵀ·Q
                    }
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

    /** The first key query row i may see: causal, and within the sliding window when there is one. */
    private int firstKey(int i) {
        return window > 0 ? Math.max(0, i - window + 1) : 0;
    }

    /** Where (b, h, token t)'s softmax stats start in {@link #stats}. */
    private int statsOffset(int b, int h, int t) {
        return 2 * ((b * heads + h) * seqLen + t);
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
        return headMajor.get(
                NDArrayIndex.point(b),
                NDArrayIndex.point(h),
                NDArrayIndex.interval(start, start + len),
                NDArrayIndex.all());
    }

    /** Rows [from, to) of a contiguous [L, D] block (a view of a view: {@link Views}). */
    private static INDArray rows(INDArray block, int from, int to) {
        return Views.rows(block, from, to);
    }

    /**
     * Queries [r0, r1) × keys [k0, r1) of a document's L×L scores, laid out row-major in the first L² elements of a
     * flat [T·T] buffer: the part of a row tile that causality (and the window) leave non-zero.
     */
    private static INDArray tile(INDArray flat, int len, int r0, int r1, int k0) {
        return Views.strided(flat, (long) r0 * len + k0, new long[] {r1 - r0, r1 - k0}, new long[] {len, 1});
    }
}
