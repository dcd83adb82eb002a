package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.params.Views;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.same.Max;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * lm_head + token cross-entropy, fused and chunked so the [N, V] logits never exist at once (the
 * fused-linear-cross-entropy idea): per chunk of R token rows, logits = h·Wᵀ [R, V], then the loss and
 * dlogits = (softmax − onehot(target)) / count are formed in place and folded straight into dHidden and dWeight.
 *
 * <p>The vocabulary is cut into pieces of P rows of W, and a chunk's logits are held piece-major (P blocks of
 * [R, P], each contiguous), so every product reads W by piece: a frozen W stored in bf16 / fp16 is widened one piece
 * at a time into the model's {@link WeightWidener} (P·C floats, not V·C), and the fp32 path runs the very same
 * products on views, so both give bit-identical results.
 *
 * <p>Loss = Σ over rows with target ≠ {@value #IGNORE} of (logsumexp(logits) − logits[target]), divided by a
 * caller-given token count: pass the number of supervised tokens in the whole global batch, so micro-batching and
 * data-parallel sharding do not change the result. Targets are already aligned with rows (the model shifts HF labels
 * by one before calling this). backward ADDS into the weight gradient (never zeroes it).
 *
 * <p>The preference losses need each target's log-prob instead ({@link #tokenLogProbs}), and the gradient of a
 * loss that depends on them through per-document sums: {@link #backwardLogProbs} takes dLoss/d(log-prob) per row
 * and forms dlogits = dLoss/d(log-prob) × (onehot(target) − softmax), recomputing the chunk's logits.
 *
 * <p>A head built with {@code gatherTargetRows} (a forward-only model's: the reference pass) scores only the rows
 * with a target: they are gathered into chunks of their own, so the prompt tokens of a document (most of a short
 * answer's row) cost no logits. The products are the same per row, but BLAS may sum a row's product in another order
 * in a chunk of other rows, so the log-probs equal a contiguous chunk's up to float rounding, not bit for bit; the
 * training and evaluation heads keep contiguous chunks.
 */
public final class LmHeadLoss {
    public static final int IGNORE = -100;
    /** Floats of W per vocabulary piece (16 MiB): the widening buffer of a narrow W. */
    static final long PIECE_ELEMENTS = 1L << 22;

    private final String name;
    private final INDArray weight; // [V, C], FLOAT, or BFLOAT16 / HALF when frozen
    private final INDArray dWeight; // [V, C]
    private final WeightWidener widener; // null when W is fp32
    private final int rows;
    private final int chunkRows;
    private final long vocab;
    private final long hidden;
    private final int piece; // P: vocabulary rows per piece
    private final INDArray logits; // [R·V]: piece p is an [R, P] block at R·p·P; becomes dlogits in place
    private final INDArray dHidden; // [N, C]
    private final INDArray gathered; // [R, C] gatherTargetRows: a chunk of rows with a target; else null
    private final INDArray rowMax; // [R, 1]
    private final INDArray rowSum; // [R, 1]
    private final INDArray pieceStat; // [R, 1] one piece's row max or row sum; then the rows' gradient scale

    public LmHeadLoss(String name, INDArray weight, INDArray dWeight, int rows, int chunkRows) {
        this(name, weight, dWeight, rows, chunkRows, PIECE_ELEMENTS, false);
    }

    /**
     * @param pieceElements    floats of W per piece (tests cut a small vocabulary into several)
     * @param gatherTargetRows score only the rows with a target, gathered (a head without a backward)
     */
    LmHeadLoss(
            String name,
            INDArray weight,
            INDArray dWeight,
            int rows,
            int chunkRows,
            long pieceElements,
            boolean gatherTargetRows) {
        if (chunkRows <= 0) {
            throw new IllegalArgumentException(name + ": chunkRows must be > 0, got " + chunkRows);
        }
        this.name = name;
        this.weight = weight;
        this.dWeight = dWeight;
        this.vocab = weight.size(0);
        this.hidden = weight.size(1);
        this.piece = (int) Math.max(1, Math.min(vocab, pieceElements / hidden));
        if (WeightWidener.isNarrow(weight)) {
            if (dWeight != null) {
                throw new IllegalArgumentException(name + ": a trained weight must be FLOAT, is " + weight.dataType());
            }
            this.widener = WeightWidener.reserve((long) piece * hidden);
        } else {
            this.widener = null;
        }
        if (dWeight != null) { // null: frozen lm_head
            Shapes.check(name, "weight gradient", dWeight, vocab, hidden);
        }
        this.rows = rows;
        this.chunkRows = Math.min(chunkRows, rows);
        if ((long) this.chunkRows * vocab > Integer.MAX_VALUE / 4) {
            // the chunk's logits are read through one NIO buffer, whose capacity is an int
            throw new IllegalArgumentException(name + ": " + this.chunkRows + " tokens per chunk × " + vocab
                    + " vocabulary entries exceed 2 GiB of logits; lower loss_chunk_tokens");
        }
        this.logits = Shapes.buffer((long) this.chunkRows * vocab);
        this.dHidden = Shapes.buffer(rows, hidden);
        if (gatherTargetRows && dWeight != null) {
            throw new IllegalArgumentException(name + ": a head that gathers its rows has no backward");
        }
        this.gathered = gatherTargetRows ? Shapes.buffer(this.chunkRows, hidden) : null;
        this.rowMax = Shapes.buffer(this.chunkRows, 1);
        this.rowSum = Shapes.buffer(this.chunkRows, 1);
        this.pieceStat = Shapes.buffer(this.chunkRows, 1);
    }

    /** Loss only (evaluation): no gradients touched. */
    public double forward(INDArray hiddenStates, int[] targets, double tokenCount) {
        checkCount(tokenCount);
        return run(hiddenStates, targets, null, null, tokenCount, false) / tokenCount;
    }

    /** Loss, and dHidden (see {@link #dHidden()}) overwritten, dWeight added to. */
    public double forwardBackward(INDArray hiddenStates, int[] targets, double tokenCount) {
        requireBackward();
        checkCount(tokenCount);
        return run(hiddenStates, targets, null, null, tokenCount, true) / tokenCount;
    }

    /**
     * Each row's log-prob of its target, log softmax(logits)[target], into {@code out} (0 where the target is
     * {@value #IGNORE}); no gradients touched.
     */
    public void tokenLogProbs(INDArray hiddenStates, int[] targets, double[] out) {
        if (out.length != rows) {
            throw new IllegalArgumentException(name + ": " + out.length + " log-prob slots for " + rows + " rows");
        }
        run(hiddenStates, targets, out, null, 1, false);
    }

    /**
     * The backward of a loss that depends on the rows' target log-probs: dHidden overwritten, dWeight added to,
     * dlogits = dLogProb[i] × (onehot(target) − softmax) per row (0 where the target is {@value #IGNORE}).
     */
    public void backwardLogProbs(INDArray hiddenStates, int[] targets, double[] dLogProb) {
        requireBackward();
        if (dLogProb.length != rows) {
            throw new IllegalArgumentException(name + ": " + dLogProb.length + " gradients for " + rows + " rows");
        }
        run(hiddenStates, targets, null, dLogProb, 1, true);
    }

    private void requireBackward() {
        if (gathered != null) {
            throw new IllegalStateException(name + ": a head that gathers its rows with a target has no backward");
        }
    }

    private void checkCount(double tokenCount) {
        if (!(tokenCount > 0)) {
            throw new IllegalArgumentException(name + ": tokenCount must be > 0, got " + tokenCount);
        }
    }

    /**
     * [N, C] gradient of the loss with respect to the hidden states, from the last {@link #forwardBackward} or
     * {@link #backwardLogProbs}.
     */
    public INDArray dHidden() {
        return dHidden;
    }

    private int pieces() {
        return (int) ((vocab + piece - 1) / piece);
    }

    private long pieceStart(int p) {
        return (long) p * piece;
    }

    private int pieceLength(int p) {
        return (int) (Math.min(vocab, pieceStart(p + 1)) - pieceStart(p));
    }

    /** W's rows of piece p as fp32 [P, C] (a view, or the widened copy valid until the next widening). */
    private INDArray weightPiece(int p) {
        INDArray rowsOfW = Views.rows(weight, pieceStart(p), pieceStart(p) + pieceLength(p));
        return widener == null ? rowsOfW : widener.widen(rowsOfW);
    }

    /** The first n rows of piece p's logits block: a contiguous [n, P] view. */
    private INDArray logitsPiece(int p, int n) {
        long at = (long) chunkRows * pieceStart(p);
        return Views.reshaped(logits, at, n, pieceLength(p));
    }

    private static INDArray firstRows(INDArray column, int n, int chunkRows) {
        return n == chunkRows ? column : Views.rows(column, 0, n);
    }

    /**
     * One pass over the chunks: the summed cross-entropy of the targets (returned), each row's target log-prob (into
     * {@code logProbs} when given) and, with {@code withGrad}, the backward: of the cross-entropy divided by
     * {@code tokenCount}, or with {@code dLogProb} given, of the loss whose gradient per row log-prob it holds.
     */
    private double run(
            INDArray h, int[] targets, double[] logProbs, double[] dLogProb, double tokenCount, boolean withGrad) {
        Shapes.check(name, "hidden states", h, rows, hidden);
        if (targets.length != rows) {
            throw new IllegalArgumentException(name + ": got " + targets.length + " targets for " + rows + " rows");
        }
        for (int i = 0; i < rows; i++) {
            if (targets[i] != IGNORE && (targets[i] < 0 || targets[i] >= vocab)) {
                throw new IllegalArgumentException(name + ": target " + targets[i] + " at row " + i + " is outside [0, "
                        + vocab + ") and is not " + IGNORE);
            }
        }
        double loss = 0;
        FloatBuffer lg = Shapes.floats(logits);
        float invCount = (float) (1.0 / tokenCount);
        if (logProbs != null) {
            Arrays.fill(logProbs, 0.0);
        }
        int[] scored = gathered == null ? null : rowsWithTarget(targets);
        int total = scored == null ? rows : scored.length;
        for (int c0 = 0; c0 < total; c0 += chunkRows) {
            int n = Math.min(total, c0 + chunkRows) - c0;
            int[] chunk = new int[n]; // the chunk's rows of h
            boolean any = false;
            for (int i = 0; i < n; i++) {
                chunk[i] = scored == null ? c0 + i : scored[c0 + i];
                any |= targets[chunk[i]] != IGNORE;
            }
            INDArray hc = scored == null ? Views.rows(h, c0, c0 + n) : gather(h, chunk); // [n, C]
            INDArray dHc = Views.rows(dHidden, c0, c0 + n); // [n, C] (a head that gathers never writes it)
            if (!any) {
                if (withGrad) {
                    dHc.assign(0.0);
                }
                continue;
            }
            int pieces = pieces();
            INDArray max = firstRows(rowMax, n, chunkRows);
            INDArray sum = firstRows(rowSum, n, chunkRows);
            FloatBuffer mx = Shapes.floats(rowMax);
            FloatBuffer sm = Shapes.floats(rowSum);
            FloatBuffer st = Shapes.floats(pieceStat);
            for (int p = 0; p < pieces; p++) {
                INDArray lp = logitsPiece(p, n);
                Gemm.into(hc, weightPiece(p), lp, false, true, 1.0, 0.0);
                Nd4j.exec(new Max(lp, Views.reshaped(pieceStat, 0, n), 1));
                for (int i = 0; i < n; i++) {
                    mx.put(i, p == 0 ? st.get(i) : Math.max(mx.get(i), st.get(i)));
                }
            }
            // the target logit, shifted by the row max, before the logits change
            double[] picked = new double[n];
            for (int i = 0; i < n; i++) {
                int t = targets[chunk[i]];
                if (t != IGNORE) {
                    int p = t / piece;
                    long at = (long) chunkRows * pieceStart(p) + (long) i * pieceLength(p) + (t - pieceStart(p));
                    picked[i] = lg.get((int) at) - mx.get(i);
                }
            }
            // softmax numerators in place: exp(l − max); Σ over the pieces
            for (int p = 0; p < pieces; p++) {
                INDArray lp = logitsPiece(p, n);
                lp.subiColumnVector(max);
                Transforms.exp(lp, false);
                lp.sum(Views.reshaped(pieceStat, 0, n), 1);
                for (int i = 0; i < n; i++) {
                    sm.put(i, p == 0 ? st.get(i) : sm.get(i) + st.get(i));
                }
            }
            for (int i = 0; i < n; i++) {
                if (targets[chunk[i]] != IGNORE) {
                    double nll = Math.log(sm.get(i)) - picked[i]; // logsumexp − logit_t, both shifted by max
                    loss += nll;
                    if (logProbs != null) {
                        logProbs[chunk[i]] = -nll;
                    }
                }
            }
            if (!withGrad) {
                continue;
            }
            // d(lse − logit_t)/dlogit_j = softmax_j − [j = t], scaled by 1/count (a log-prob's gradient is minus that,
            // scaled by dLoss/d(log-prob): the row's scale is −dLogProb[i]); ignored rows get 0
            float[] zeros = new float[piece];
            float[] scale = new float[n];
            if (dLogProb == null) {
                Arrays.fill(scale, invCount);
            } else {
                FloatBuffer sc = Shapes.floats(pieceStat);
                for (int i = 0; i < n; i++) {
                    scale[i] = (float) -dLogProb[chunk[i]];
                    sc.put(i, scale[i]);
                }
            }
            INDArray scaleColumn = firstRows(pieceStat, n, chunkRows);
            for (int p = 0; p < pieces; p++) {
                INDArray lp = logitsPiece(p, n);
                if (dLogProb == null) {
                    lp.diviColumnVector(sum).muli(invCount);
                } else {
                    lp.diviColumnVector(sum).muliColumnVector(scaleColumn);
                }
                int len = pieceLength(p);
                long base = (long) chunkRows * pieceStart(p);
                for (int i = 0; i < n; i++) {
                    int t = targets[chunk[i]];
                    int rowAt = (int) (base + (long) i * len);
                    if (t == IGNORE) {
                        lg.put(rowAt, zeros, 0, len);
                    } else if (t / piece == p) {
                        int at = rowAt + (int) (t - pieceStart(p));
                        lg.put(at, lg.get(at) - scale[i]);
                    }
                }
            }
            for (int p = 0; p < pieces; p++) {
                INDArray lp = logitsPiece(p, n);
                Gemm.into(lp, weightPiece(p), dHc, false, false, 1.0, p == 0 ? 0.0 : 1.0);
                if (dWeight != null) {
                    INDArray dWp = Views.rows(dWeight, pieceStart(p), pieceStart(p) + pieceLength(p));
                    Gemm.into(lp, hc, dWp, true, false, 1.0, 1.0);
                }
            }
        }
        return loss;
    }

    private static int[] rowsWithTarget(int[] targets) {
        int[] out = new int[targets.length];
        int n = 0;
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] != IGNORE) {
                out[n++] = i;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Rows {@code at} of h copied into the first rows of {@link #gathered}. */
    private INDArray gather(INDArray h, int[] at) {
        FloatBuffer from = Shapes.floats(h);
        FloatBuffer to = Shapes.floats(gathered);
        int c = (int) hidden;
        for (int i = 0; i < at.length; i++) {
            to.put(i * c, from, at[i] * c, c);
        }
        return firstRows(gathered, at.length, chunkRows);
    }
}
