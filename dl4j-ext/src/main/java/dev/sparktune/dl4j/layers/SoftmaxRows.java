package dev.sparktune.dl4j.layers;

import java.nio.FloatBuffer;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row softmax of attention's L×L score blocks, causal and optionally windowed, in Java Vector API kernels:
 * {@code Math.exp} in a scalar loop cost ~15 ns per element here, this kernel well under 1 ns.
 *
 * <p>The exponential is computed with plain IEEE operations (fma, multiply, add, exact conversions, bit moves): the
 * Vector API's own {@code EXP} is an intrinsic once C2 compiles the loop but a different Java fallback before that,
 * so its bits would depend on JIT timing, and the attention backward recomputes the forward's probabilities from the
 * saved row max and 1/sum expecting the same bits (activation checkpointing and reruns must give bit-identical
 * gradients). It is evaluated in double and rounded once to float, so it is almost always the correctly rounded
 * e^x like {@code (float) Math.exp}: a single-precision polynomial (1 ulp) doubled the distance of an 8-step AdamW
 * curve from torch's. Inputs are score − row max ≤ 0; below −87.3 (under the smallest normal float) the result is 0.
 */
final class SoftmaxRows {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED; // same shape: half the lanes
    private static final double LOG2E_D = 1.4426950408889634;
    private static final double LN2_D = 0.6931471805599453;
    private static final double ROUND_D = 6755399441055744.0; // 1.5·2^52: adding it rounds to an integer
    /** 1/8! down to 1/0!: the Taylor coefficients after the leading 1/9!, in Horner order. */
    private static final double[] TAYLOR = {
        1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1.0, 1.0
    };

    private static final float MIN_INPUT = -87.3f;
    private final float[] row; // one row of scores, padded to whole vectors
    private final float[] other; // the same row of the gradient (backward)
    private final float[] zeros;

    SoftmaxRows(int maxLen) {
        int padded = (maxLen + LANES - 1) / LANES * LANES;
        this.row = new float[padded];
        this.other = new float[padded];
        this.zeros = new float[maxLen];
    }

    /** e^x per lane, rounded from a double-precision evaluation (see the class comment). */
    static FloatVector exp(FloatVector x) {
        FloatVector clamped = x.max(MIN_INPUT);
        FloatVector low = (FloatVector) exp((DoubleVector) clamped.convertShape(VectorOperators.F2D, D, 0))
                .convertShape(VectorOperators.D2F, F, 0);
        FloatVector high = (FloatVector) exp((DoubleVector) clamped.convertShape(VectorOperators.F2D, D, 1))
                .convertShape(VectorOperators.D2F, F, -1);
        return low.add(high).blend(0f, x.lt(MIN_INPUT)); // each half's other lanes are 0
    }

    /** e^x = 2^n·e^r, n = round(x·log2 e), |r| ≤ ln2/2, e^r by its Taylor series to r^9 (error < 3e-10). */
    private static DoubleVector exp(DoubleVector x) {
        DoubleVector t = x.fma(LOG2E_D, ROUND_D); // n + ROUND_D
        DoubleVector n = t.sub(ROUND_D);
        DoubleVector r = n.fma(DoubleVector.broadcast(D, -LN2_D), x);
        DoubleVector p = DoubleVector.broadcast(D, 1.0 / 362880);
        for (double c : TAYLOR) {
            p = p.fma(r, DoubleVector.broadcast(D, c));
        }
        LongVector bits = t.reinterpretAsLongs()
                .sub(Double.doubleToRawLongBits(ROUND_D) - 1023)
                .lanewise(VectorOperators.LSHL, 52); // 2^n
        return p.mul(bits.reinterpretAsDoubles());
    }

    /**
     * In place on rows [r0, r1) of the block at {@code off} of {@code s} (L×L row-major scores, of which a tile's
     * keys [k0, r1) hold scores): row i becomes softmax over keys [lo(i), i] and 0 elsewhere in [k0, r1); its max and
     * 1/sum go to {@code stats} at {@code statsOff + 2i} and {@code + 2i + 1}.
     */
    void forward(FloatBuffer s, int off, int len, int window, FloatBuffer stats, int statsOff, int r0, int r1, int k0) {
        for (int i = r0; i < r1; i++) {
            int lo = window > 0 ? Math.max(0, i - window + 1) : 0;
            int n = i - lo + 1;
            int rowOff = off + i * len;
            s.get(rowOff + lo, row, 0, n);
            FloatVector mx = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < n; j += LANES) {
                mx = mx.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, row, j), F.indexInRange(j, n));
            }
            float max = mx.reduceLanes(VectorOperators.MAX);
            DoubleSum sum = new DoubleSum();
            for (int j = 0; j < n; j += LANES) {
                FloatVector e = exp(FloatVector.fromArray(F, row, j).sub(max));
                e.intoArray(row, j);
                sum.add(e.blend(0f, F.indexInRange(j, n).not()));
            }
            float inv = (float) (1.0 / sum.total());
            for (int j = 0; j < n; j += LANES) {
                FloatVector.fromArray(F, row, j).mul(inv).intoArray(row, j);
            }
            zeroOutside(s, rowOff, k0, lo, n, r1);
            s.put(rowOff + lo, row, 0, n);
            stats.put(statsOff + 2 * i, max);
            stats.put(statsOff + 2 * i + 1, inv);
        }
    }

    /** The probabilities {@link #forward} wrote, bit for bit, from the same scores and its saved stats. */
    void recompute(
            FloatBuffer s, int off, int len, int window, FloatBuffer stats, int statsOff, int r0, int r1, int k0) {
        for (int i = r0; i < r1; i++) {
            int lo = window > 0 ? Math.max(0, i - window + 1) : 0;
            int n = i - lo + 1;
            int rowOff = off + i * len;
            float max = stats.get(statsOff + 2 * i);
            float inv = stats.get(statsOff + 2 * i + 1);
            s.get(rowOff + lo, row, 0, n);
            for (int j = 0; j < n; j += LANES) {
                exp(FloatVector.fromArray(F, row, j).sub(max)).mul(inv).intoArray(row, j);
            }
            zeroOutside(s, rowOff, k0, lo, n, r1);
            s.put(rowOff + lo, row, 0, n);
        }
    }

    /**
     * In place on rows [r0, r1) of dP (block at {@code dOff} of {@code d}) given P (block at {@code pOff} of
     * {@code p}): with P = softmax(S) per row and S = scale·Q·Kᵀ, dS_ij = P_ij·(dP_ij − Σ_k P_ik·dP_ik), times
     * {@code scale} so that dQ = dS·K and dK = dSᵀ·Q directly; 0 outside each row's keys within [k0, r1).
     */
    void backward(
            FloatBuffer p,
            int pOff,
            FloatBuffer d,
            int dOff,
            int len,
            int window,
            float scale,
            int r0,
            int r1,
            int k0) {
        for (int i = r0; i < r1; i++) {
            int lo = window > 0 ? Math.max(0, i - window + 1) : 0;
            int n = i - lo + 1;
            p.get(pOff + i * len + lo, row, 0, n);
            d.get(dOff + i * len + lo, other, 0, n);
            DoubleSum dot = new DoubleSum();
            for (int j = 0; j < n; j += LANES) {
                VectorMask<Float> outside = F.indexInRange(j, n).not();
                dot.addProducts(
                        FloatVector.fromArray(F, row, j).blend(0f, outside),
                        FloatVector.fromArray(F, other, j).blend(0f, outside));
            }
            float dotSum = (float) dot.total();
            for (int j = 0; j < n; j += LANES) {
                FloatVector pj = FloatVector.fromArray(F, row, j);
                pj.mul(FloatVector.fromArray(F, other, j).sub(dotSum))
                        .mul(scale)
                        .intoArray(other, j);
            }
            zeroOutside(d, dOff + i * len, k0, lo, n, r1);
            d.put(dOff + i * len + lo, other, 0, n);
        }
    }

    /**
     * A sum of floats accumulated in double lanes: float partial sums moved a short AdamW curve twice as far from
     * torch's (whose CPU softmax accumulates in higher precision too).
     */
    private static final class DoubleSum {
        private DoubleVector low = DoubleVector.zero(D);
        private DoubleVector high = DoubleVector.zero(D);

        void add(FloatVector v) {
            low = low.add(v.convertShape(VectorOperators.F2D, D, 0));
            high = high.add(v.convertShape(VectorOperators.F2D, D, 1));
        }

        /** Adds a·b per lane, each product exact in double. */
        void addProducts(FloatVector a, FloatVector b) {
            low = ((DoubleVector) a.convertShape(VectorOperators.F2D, D, 0))
                    .fma(b.convertShape(VectorOperators.F2D, D, 0), low);
            high = ((DoubleVector) a.convertShape(VectorOperators.F2D, D, 1))
                    .fma(b.convertShape(VectorOperators.F2D, D, 1), high);
        }

        double total() {
            return low.add(high).reduceLanes(VectorOperators.ADD);
        }
    }

    /** Zeroes keys [k0, lo) and [lo + n, kEnd) of the row at {@code rowOff}: what a tile's products read. */
    private void zeroOutside(FloatBuffer b, int rowOff, int k0, int lo, int n, int kEnd) {
        if (lo > k0) {
            b.put(rowOff + k0, zeros, 0, lo - k0);
        }
        if (kEnd > lo + n) {
            b.put(rowOff + lo + n, zeros, 0, kEnd - lo - n);
        }
    }
}
