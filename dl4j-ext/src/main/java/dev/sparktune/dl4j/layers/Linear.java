package dev.sparktune.dl4j.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code output = input · weightᵀ + bias} on N rows (N = B·T), weight [OUT, IN] in HF layout.
 *
 * <p>{@link #forward} keeps a reference to its input (the caller must leave it unchanged until {@link #backward});
 * backward ADDS into the weight and bias gradients and never zeroes them (gradient accumulation relies on that;
 * zeroing the flat gradient buffer is the caller's separate step). A frozen weight may be stored in bf16 or fp16: it
 * is widened into the model's {@link WeightWidener} before each product, with bit-identical results.
 */
public final class Linear implements Projection {
    private final String name;
    private final INDArray weight; // [OUT, IN], FLOAT, or BFLOAT16 / HALF when frozen
    private final INDArray bias; // [1, OUT] or null, the weight's dtype
    private final INDArray dWeight; // [OUT, IN]
    private final INDArray dBias; // [1, OUT] view of the bias gradient, or null
    private final WeightWidener widener; // null when the weight is fp32
    private final int rows;
    private final long in;
    private final long out;
    private final INDArray output; // [N, OUT]
    private final INDArray dInput; // [N, IN] scratch
    private final INDArray onesRow; // [1, N] scratch: column sums as a GEMM
    private INDArray input; // [N, IN], cached by forward

    /**
     * Builds from {@code params}' {@code <name>.weight} and optional {@code <name>.bias}, for N = {@code rows}, its
     * output read in the caller's backward.
     */
    public static Linear of(LayerParams params, String name, int rows) {
        return of(params, name, rows, OutputUse.READ_IN_BACKWARD);
    }

    /** As {@link #of(LayerParams, String, int)}, with the output kept only as long as {@code use} needs it. */
    public static Linear of(LayerParams params, String name, int rows, OutputUse use) {
        return new Linear(
                params.prefix() + name,
                params.value(name + ".weight"),
                params.valueOrNull(name + ".bias"),
                params.gradOrNull(name + ".weight"),
                params.gradOrNull(name + ".bias"),
                rows,
                use);
    }

    /** A linear layer whose weight and bias get no gradients (the frozen base under a LoRA adapter). */
    public static Linear frozen(String name, INDArray weight, INDArray bias, int rows) {
        return frozen(name, weight, bias, rows, OutputUse.READ_IN_BACKWARD);
    }

    public static Linear frozen(String name, INDArray weight, INDArray bias, int rows, OutputUse use) {
        return new Linear(name, weight, bias, null, null, rows, use);
    }

    public Linear(String name, INDArray weight, INDArray bias, INDArray dWeight, INDArray dBias, int rows) {
        this(name, weight, bias, dWeight, dBias, rows, OutputUse.READ_IN_BACKWARD);
    }

    /**
     * @param dWeight gradient view [OUT, IN], or null together with {@code dBias} for a frozen layer
     * @param dBias   gradient view [OUT], or null (no bias, or frozen)
     */
    public Linear(
            String name, INDArray weight, INDArray bias, INDArray dWeight, INDArray dBias, int rows, OutputUse use) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException(name + ": weight must be [out, in], got rank " + weight.rank());
        }
        this.name = name;
        this.weight = weight;
        this.out = weight.size(0);
        this.in = weight.size(1);
        boolean frozen = dWeight == null;
        boolean narrow = WeightWidener.isNarrow(weight) || bias != null && WeightWidener.isNarrow(bias);
        if (narrow && !frozen) {
            throw new IllegalArgumentException(name + ": a trained weight must be FLOAT, is " + weight.dataType());
        }
        if (!frozen) {
            Shapes.check(name, "weight gradient", dWeight, out, in);
        }
        if (!frozen && (bias == null) != (dBias == null) || frozen && dBias != null) {
            throw new IllegalArgumentException(name + ": bias and its gradient must both be given or both absent");
        }
        if (bias != null) {
            Shapes.checkShape(name, "bias", bias, out);
        }
        if (dBias != null) {
            Shapes.check(name, "bias gradient", dBias, out);
        }
        this.bias = bias == null ? null : bias.reshape(1, out);
        this.dWeight = dWeight;
        this.dBias = dBias == null ? null : dBias.reshape(1, out);
        this.widener = narrow ? WeightWidener.reserve(out * in) : null;
        this.rows = rows;
        this.output = Shapes.output(use, rows, out);
        this.dInput = Shapes.scratch(rows, in);
        // by the bias, not by frozen or not: layers sharing a BufferArena must ask for the same buffers
        this.onesRow = bias == null ? null : Shapes.scratch(1, rows).assign(1.0);
    }

    private INDArray weight() {
        return widener == null ? weight : widener.widen(weight);
    }

    private void addBias() {
        if (bias != null) {
            output.addiRowVector(widener == null ? bias : widener.widen(bias));
        }
    }

    /** [N, IN] → [N, OUT] (a buffer owned by this layer, overwritten by the next forward). */
    @Override
    public INDArray forward(INDArray input) {
        Shapes.check(name, "input", input, rows, in);
        this.input = input;
        Gemm.into(input, weight(), output, false, true, 1.0, 0.0);
        addBias();
        return output;
    }

    /** Returns dInput [N, IN] (owned buffer); adds dWeight += dOutputᵀ·input and dBias += Σ_rows dOutput. */
    @Override
    public INDArray backward(INDArray dOutput) {
        Gemm.into(dOutput, weight(), dInput, false, false, 1.0, 0.0);
        accumulateParamGrads(dOutput);
        return dInput;
    }

    /** Like {@link #backward} but ADDS dInput into {@code dInputSum} [N, IN] (inputs shared by several layers). */
    @Override
    public void backwardAccumulate(INDArray dOutput, INDArray dInputSum) {
        Shapes.check(name, "input gradient sum", dInputSum, rows, in);
        Gemm.into(dOutput, weight(), dInputSum, false, false, 1.0, 1.0);
        accumulateParamGrads(dOutput);
    }

    private void accumulateParamGrads(INDArray dOutput) {
        Shapes.check(name, "output gradient", dOutput, rows, out);
        if (input == null) {
            throw new IllegalStateException(name + ": backward before forward");
        }
        if (dWeight == null) {
            return; // frozen
        }
        Gemm.into(dOutput, input, dWeight, true, false, 1.0, 1.0);
        if (dBias != null) {
            Gemm.into(onesRow, dOutput, dBias, false, false, 1.0, 1.0);
        }
    }

    @Override
    public boolean trainable() {
        return dWeight != null;
    }

    @Override
    public long inFeatures() {
        return in;
    }

    @Override
    public long outFeatures() {
        return out;
    }
}
