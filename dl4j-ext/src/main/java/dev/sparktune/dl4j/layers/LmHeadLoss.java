package dev.sparktune.dl4j.layers;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.api.ops.impl.reduce.same.Max;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * lm_head + token cross-entropy, fused and chunked so the [N, V] logits never exist at once (the
 * fused-linear-cross-entropy idea): per chunk of R rows, logits = h·Wᵀ [R, V], then the loss and
 * dlogits = (softmax − onehot(target)) / count are formed in place and folded straight into dHidden and dWeight.
 *
 * <p>Loss = Σ over rows with target ≠ {@value #IGNORE} of (logsumexp(logits) − logits[target]), divided by a
 * caller-given token count: pass the number of supervised tokens in the whole global batch, so micro-batching and
 * data-parallel sharding do not change the result. Targets are already aligned with rows (the model shifts HF labels
 * by one before calling this). backward ADDS into the weight gradient (never zeroes it).
 */
public final class LmHeadLoss {
    public static final int IGNORE = -100;
    private final String name;
    private final INDArray weight;   // [V, C]
    private final INDArray dWeight;  // [V, C]
    private final int rows;
    private final int chunkRows;
    private final long vocab;
    private final long hidden;
    private final INDArray logits;   // [R, V] one chunk, becomes dlogits in place
    private final INDArray dHidden;  // [N, C]
    private final INDArray rowMax;   // [R, 1]
    private final INDArray rowSum;   // [R, 1]

    public LmHeadLoss(String name, INDArray weight, INDArray dWeight, int rows, int chunkRows) {
        if (chunkRows <= 0) {
            throw new IllegalArgumentException(name + ": chunkRows must be > 0, got " + chunkRows);
        }
        this.name = name;
        this.weight = weight;
        this.dWeight = dWeight;
        this.vocab = weight.size(0);
        this.hidden = weight.size(1);
        if (dWeight != null) { // null: frozen lm_head
            Shapes.check(name, "weight gradient", dWeight, vocab, hidden);
        }
        this.rows = rows;
        this.chunkRows = Math.min(chunkRows, rows);
        this.logits = Shapes.buffer(this.chunkRows, vocab);
        this.dHidden = Shapes.buffer(rows, hidden);
        this.rowMax = Shapes.buffer(this.chunkRows, 1);
        this.rowSum = Shapes.buffer(this.chunkRows, 1);
    }

    /** Loss only (evaluation): no gradients touched. */
    public double forward(INDArray hiddenStates, int[] targets, double tokenCount) {
        return run(hiddenStates, targets, tokenCount, false);
    }

    /** Loss, and dHidden (see {@link #dHidden()}) overwritten, dWeight added to. */
    public double forwardBackward(INDArray hiddenStates, int[] targets, double tokenCount) {
        return run(hiddenStates, targets, tokenCount, true);
    }

    /** [N, C] gradient of the loss with respect to the hidden states, from the last {@link #forwardBackward}. */
    public INDArray dHidden() {
        return dHidden;
    }

    private double run(INDArray h, int[] targets, double tokenCount, boolean withGrad) {
        Shapes.check(name, "hidden states", h, rows, hidden);
        if (targets.length != rows) {
            throw new IllegalArgumentException(name + ": got " + targets.length + " targets for " + rows + " rows");
        }
        if (!(tokenCount > 0)) {
            throw new IllegalArgumentException(name + ": tokenCount must be > 0, got " + tokenCount);
        }
        for (int i = 0; i < rows; i++) {
            if (targets[i] != IGNORE && (targets[i] < 0 || targets[i] >= vocab)) {
                throw new IllegalArgumentException(name + ": target " + targets[i] + " at row " + i
                        + " is outside [0, " + vocab + ") and is not " + IGNORE);
            }
        }
        double loss = 0;
        FloatBuffer lg = Shapes.floats(logits);
        float invCount = (float) (1.0 / tokenCount);
        int v = (int) vocab;
        for (int r0 = 0; r0 < rows; r0 += chunkRows) {
            int r1 = Math.min(rows, r0 + chunkRows);
            int n = r1 - r0;
            boolean any = false;
            for (int i = r0; i < r1; i++) {
                any |= targets[i] != IGNORE;
            }
            INDArray hc = h.get(NDArrayIndex.interval(r0, r1), NDArrayIndex.all());         // [n, C]
            if (!any) {
                if (withGrad) {
                    dHidden.get(NDArrayIndex.interval(r0, r1), NDArrayIndex.all()).assign(0.0);
                }
                continue;
            }
            INDArray lc = n == chunkRows ? logits : logits.get(NDArrayIndex.interval(0, n), NDArrayIndex.all());
            INDArray max = n == chunkRows ? rowMax : rowMax.get(NDArrayIndex.interval(0, n), NDArrayIndex.all());
            INDArray sum = n == chunkRows ? rowSum : rowSum.get(NDArrayIndex.interval(0, n), NDArrayIndex.all());
            Gemm.into(hc, weight, lc, false, true, 1.0, 0.0);
            // softmax in place with native ops: l − max(l), exp, / Σ; the target logit is read before it changes
            Nd4j.exec(new Max(lc, max.reshape(n), 1));
            FloatBuffer mx = Shapes.floats(rowMax);
            double[] picked = new double[n];
            for (int i = 0; i < n; i++) {
                int t = targets[r0 + i];
                picked[i] = t == IGNORE ? 0 : lg.get(i * v + t) - mx.get(i);
            }
            lc.subiColumnVector(max);
            Transforms.exp(lc, false);
            lc.sum(sum.reshape(n), 1);
            FloatBuffer sm = Shapes.floats(rowSum);
            for (int i = 0; i < n; i++) {
                if (targets[r0 + i] != IGNORE) {
                    loss += Math.log(sm.get(i)) - picked[i];     // logsumexp − logit_t, both shifted by max
                }
            }
            if (withGrad) {
                // d(lse − logit_t)/dlogit_j = softmax_j − [j = t], scaled by 1/count; ignored rows get 0
                lc.diviColumnVector(sum).muli(invCount);
                for (int i = 0; i < n; i++) {
                    int t = targets[r0 + i];
                    if (t == IGNORE) {
                        lc.getRow(i).assign(0.0);
                    } else {
                        lg.put(i * v + t, lg.get(i * v + t) - invCount);
                    }
                }
            }
            if (withGrad) {
                Gemm.into(lc, weight, dHidden.get(NDArrayIndex.interval(r0, r1), NDArrayIndex.all()), false, false,
                        1.0, 0.0);
                if (dWeight != null) {
                    Gemm.into(lc, hc, dWeight, true, false, 1.0, 1.0);
                }
            }
        }
        return loss / tokenCount;
    }
}
