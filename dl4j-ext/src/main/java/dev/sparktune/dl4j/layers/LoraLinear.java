package dev.sparktune.dl4j.layers;

import java.util.Random;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A LoRA adapter on a (usually frozen) {@link Linear}, as PEFT's {@code lora.Linear}:
 * {@code y = base(x) + s · (dropout(x) · Aᵀ) · Bᵀ}, A [R, IN], B [OUT, R], s = alpha / R, or alpha / sqrt(R) with
 * rsLoRA. Dropout (inverted, probability p) draws a fresh mask each forward: per batch row from (seed, that row's
 * {@link DropoutKeys} key) once a trainer sets keys, else from this layer's own sequential generator.
 *
 * <p>backward returns dx (base path plus adapter path) and ADDS into dA and dB (never zeroes them).
 */
public final class LoraLinear implements Projection {
    private final String name;
    private final Linear base;
    private final INDArray a; // [R, IN]
    private final INDArray b; // [OUT, R]
    private final INDArray dA; // [R, IN]
    private final INDArray dB; // [OUT, R]
    private final double scaling;
    private final double dropout;
    private final Random random;
    private final long seed;
    private final DropoutKeys keys; // null: sequential masks
    private final AdapterSwitch adapterSwitch; // null: always on
    private final boolean recomputed; // activation checkpointing runs this forward twice per step
    private final int rows;
    private final INDArray mask; // [N, IN] 0 or 1/(1−p); null without dropout
    private final INDArray dropped; // [N, IN] x ⊙ mask; null without dropout
    private final INDArray xa; // [N, R] dropout(x)·Aᵀ
    private final INDArray dXa; // [N, R] scratch
    private final INDArray dxLora; // [N, IN] scratch; null without dropout
    private INDArray xd; // dropout(x): `dropped`, or the input itself
    private boolean lastForwardOff; // the last forward ran without the adapter: nothing kept for its backward

    /** PEFT's scaling: alpha / rank, or alpha / sqrt(rank) with rsLoRA. */
    public static double scaling(int rank, double alpha, boolean rsLora) {
        if (rank <= 0) {
            throw new IllegalArgumentException("lora rank must be > 0, got " + rank);
        }
        return rsLora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /**
     * @param dA            the gradient of {@code a}, with {@code dB}; both null for a frozen adapter (a reference
     *                      model's: backward then gives dx alone)
     * @param keys          per-row keys of the dropout masks, set by the trainer before each forward; null = sequential
     * @param adapterSwitch turns the adapter off for some forwards (shared by a model's adapters); null = always on
     */
    public LoraLinear(
            String name,
            Linear base,
            INDArray a,
            INDArray b,
            INDArray dA,
            INDArray dB,
            double scaling,
            double dropout,
            long seed,
            DropoutKeys keys,
            AdapterSwitch adapterSwitch,
            int rows) {
        this.name = name;
        this.base = base;
        long rank = a.size(0);
        Shapes.check(name, "lora_A", a, rank, base.inFeatures());
        Shapes.check(name, "lora_B", b, base.outFeatures(), rank);
        if ((dA == null) != (dB == null)) {
            throw new IllegalArgumentException(name + ": give both adapter gradients or neither (a frozen adapter)");
        }
        if (dA != null) {
            Shapes.check(name, "lora_A gradient", dA, rank, base.inFeatures());
            Shapes.check(name, "lora_B gradient", dB, base.outFeatures(), rank);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException(name + ": lora_dropout must be in [0, 1), got " + dropout);
        }
        this.a = a;
        this.b = b;
        this.dA = dA;
        this.dB = dB;
        this.scaling = scaling;
        this.dropout = dropout;
        this.random = new Random(seed);
        this.seed = seed;
        this.keys = keys;
        this.adapterSwitch = adapterSwitch;
        this.rows = rows;
        this.recomputed = BufferArena.buildingRecomputedLayer();
        boolean drop = dropout > 0;
        this.mask = drop ? Shapes.buffer(rows, base.inFeatures()) : null;
        this.dropped = drop ? Shapes.buffer(rows, base.inFeatures()) : null;
        this.dxLora = drop ? Shapes.scratch(rows, base.inFeatures()) : null;
        this.xa = Shapes.buffer(rows, rank);
        this.dXa = Shapes.scratch(rows, rank);
    }

    /** x [N, IN] → [N, OUT] (the base layer's output buffer, adapter added in place). */
    @Override
    public INDArray forward(INDArray x) {
        INDArray y = base.forward(x);
        lastForwardOff = adapterSwitch != null && adapterSwitch.isOff();
        if (lastForwardOff) {
            return y;
        }
        if (mask != null) {
            float keep = (float) (1.0 / (1.0 - dropout));
            float[] m = new float[(int) mask.length()];
            if (keys != null && keys.size() > 0) {
                if (rows % keys.size() != 0) {
                    throw new IllegalStateException(
                            name + ": " + keys.size() + " dropout keys do not divide the " + rows + " token rows");
                }
                int perRow = m.length / keys.size(); // the T·IN mask entries of one batch row
                for (int row = 0; row < keys.size(); row++) {
                    SplittableRandom rowRandom = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + keys.key(row));
                    for (int i = row * perRow; i < (row + 1) * perRow; i++) {
                        m[i] = rowRandom.nextDouble() < dropout ? 0f : keep;
                    }
                }
            } else {
                if (recomputed) {
                    throw new IllegalStateException(name + ": activation checkpointing recomputes this forward, so "
                            + "LoRA dropout needs per-row keys (LoraAdapters.dropoutKeys().set before each "
                            + "micro-batch) for the recomputed mask to equal the first");
                }
                for (int i = 0; i < m.length; i++) {
                    m[i] = random.nextDouble() < dropout ? 0f : keep;
                }
            }
            mask.assign(Nd4j.create(m, mask.shape(), 'c'));
            dropped.assign(x).muli(mask);
            xd = dropped;
        } else {
            xd = x;
        }
        Gemm.into(xd, a, xa, false, true, 1.0, 0.0);
        Gemm.into(xa, b, y, false, true, scaling, 1.0);
        return y;
    }

    /**
     * Returns dx [N, IN] (the base layer's buffer). With u = x̃·Aᵀ (x̃ = dropout(x)) and y += s·u·Bᵀ:
     * du = s·dy·B, dB += s·dyᵀ·u, dA += duᵀ·x̃, dx += (du·A) ⊙ mask.
     */
    @Override
    public INDArray backward(INDArray dy) {
        INDArray dx = base.backward(dy);
        adapterBackward(dy, dx);
        return dx;
    }

    @Override
    public void backwardAccumulate(INDArray dy, INDArray dInputSum) {
        base.backwardAccumulate(dy, dInputSum);
        adapterBackward(dy, dInputSum);
    }

    @Override
    public boolean trainable() {
        return dA != null;
    }

    @Override
    public long inFeatures() {
        return base.inFeatures();
    }

    @Override
    public long outFeatures() {
        return base.outFeatures();
    }

    private void adapterBackward(INDArray dy, INDArray dx) {
        if (lastForwardOff) {
            throw new IllegalStateException(name + ": backward after a forward with the adapters off (a scoring pass)");
        }
        Gemm.into(dy, b, dXa, false, false, scaling, 0.0);
        if (dA != null) {
            Gemm.into(dy, xa, dB, true, false, scaling, 1.0);
            Gemm.into(dXa, xd, dA, true, false, 1.0, 1.0);
        }
        if (mask != null) {
            Gemm.into(dXa, a, dxLora, false, false, 1.0, 0.0);
            dx.addi(dxLora.muli(mask));
        } else {
            Gemm.into(dXa, a, dx, false, false, 1.0, 1.0);
        }
    }

    /** The dropout mask of the last forward (tests); null without dropout. */
    INDArray mask() {
        return mask;
    }

    public int rows() {
        return rows;
    }

    public String name() {
        return name;
    }
}
