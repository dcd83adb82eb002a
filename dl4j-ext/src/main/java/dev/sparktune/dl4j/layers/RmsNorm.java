package dev.sparktune.dl4j.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * RMSNorm over the last dimension of R rows: {@code y = weight ⊙ x · r}, {@code r = 1/sqrt(mean(x²) + eps)}
 * (HF LlamaRMSNorm / Qwen3RMSNorm in fp32). For Qwen3's q/k norms, R = N·heads rows of D. Gemma3RMSNorm scales by
 * {@code (offset + weight)} with offset 1 (its weights are stored centred on 0), also in fp32.
 *
 * <p>Keeps its input (the caller leaves it unchanged until backward) and r per row; backward recomputes x̂ = x·r
 * rather than keeping it. backward ADDS into the weight gradient (never zeroes it); with a null gradient the weight is
 * frozen, and may then be stored in bf16 / fp16 (widened on use).
 */
public final class RmsNorm {
    private final String name;
    private final INDArray weight; // [1, C]
    private final INDArray dWeight; // [1, C]
    private final WeightWidener widener; // null when the weight is fp32
    private final double eps;
    private final INDArray shifted; // [1, C] scratch: offset + weight; null when the offset is 0
    private final double offset;
    private final int rows;
    private final long dim;
    private final INDArray invRms; // [R, 1] kept
    private final INDArray stat; // [R, 1] scratch
    private final INDArray xHat; // [R, C] scratch: x · r
    private final INDArray output; // [R, C]
    private final INDArray dInput; // [R, C] scratch
    private final INDArray scratch; // [R, C] scratch
    private final INDArray onesRow; // [1, R] scratch
    private INDArray input; // [R, C], cached by forward

    /** A norm whose output the caller's backward reads. */
    public static RmsNorm of(LayerParams params, String name, double eps, int rows) {
        return of(params, name, eps, rows, OutputUse.READ_IN_BACKWARD);
    }

    public static RmsNorm of(LayerParams params, String name, double eps, int rows, OutputUse use) {
        return of(params, name, eps, 0.0, rows, use);
    }

    /** {@code offset}: added to the weight before scaling (Gemma: 1; see {@code ModelConfig.normWeightOffset}). */
    public static RmsNorm of(LayerParams params, String name, double eps, double offset, int rows, OutputUse use) {
        return new RmsNorm(
                params.prefix() + name,
                params.value(name + ".weight"),
                params.gradOrNull(name + ".weight"),
                eps,
                offset,
                rows,
                use);
    }

    public RmsNorm(String name, INDArray weight, INDArray dWeight, double eps, int rows) {
        this(name, weight, dWeight, eps, 0.0, rows, OutputUse.READ_IN_BACKWARD);
    }

    public RmsNorm(String name, INDArray weight, INDArray dWeight, double eps, double offset, int rows, OutputUse use) {
        this.name = name;
        this.dim = weight.length();
        if (WeightWidener.isNarrow(weight)) {
            if (dWeight != null) {
                throw new IllegalArgumentException(name + ": a trained weight must be FLOAT, is " + weight.dataType());
            }
            this.widener = WeightWidener.reserve(dim);
        } else {
            Shapes.check(name, "weight", weight, dim);
            this.widener = null;
        }
        if (dWeight != null) {
            Shapes.check(name, "weight gradient", dWeight, dim);
        }
        this.weight = weight.reshape(1, dim);
        this.dWeight = dWeight == null ? null : dWeight.reshape(1, dim);
        this.eps = eps;
        this.offset = offset;
        this.shifted = offset == 0.0 ? null : Shapes.scratch(1, dim);
        this.rows = rows;
        this.invRms = Shapes.buffer(rows, 1);
        this.stat = Shapes.scratch(rows, 1);
        this.xHat = Shapes.scratch(rows, dim);
        this.output = Shapes.output(use, rows, dim);
        this.dInput = Shapes.scratch(rows, dim);
        this.scratch = Shapes.scratch(rows, dim);
        this.onesRow = Shapes.scratch(1, rows).assign(1.0);
    }

    /** The per-channel scale: the (widened) weight, plus the offset when there is one. */
    private INDArray weight() {
        INDArray w = widener == null ? weight : widener.widen(weight);
        return shifted == null ? w : shifted.assign(w).addi(offset);
    }

    /** Whether backward adds into the weight gradient. */
    public boolean trainable() {
        return dWeight != null;
    }

    /** [R, C] → [R, C] (owned buffer); x must stay unchanged until backward. */
    public INDArray forward(INDArray x) {
        Shapes.check(name, "input", x, rows, dim);
        input = x;
        scratch.assign(x).muli(x);
        scratch.sum(invRms.reshape(rows), 1);
        invRms.divi(dim).addi(eps);
        Transforms.pow(invRms, -0.5, false);
        xHat.assign(x).muliColumnVector(invRms);
        output.assign(xHat).muliRowVector(weight());
        return output;
    }

    /**
     * Returns dx [R, C] (owned buffer); adds dWeight += Σ_rows dy ⊙ x̂ (the offset is a constant). With y = w ⊙ x̂, x̂ = x·r:
     * dx = r · (ĝ − x̂ · mean(ĝ ⊙ x̂)), ĝ = dy ⊙ w.
     */
    public INDArray backward(INDArray dy) {
        Shapes.check(name, "output gradient", dy, rows, dim);
        if (input == null) {
            throw new IllegalStateException(name + ": backward before forward");
        }
        xHat.assign(input).muliColumnVector(invRms); // as the forward computed it
        if (dWeight != null) { // null: frozen
            scratch.assign(dy).muli(xHat);
            Gemm.into(onesRow, scratch, dWeight, false, false, 1.0, 1.0);
        }
        dInput.assign(dy).muliRowVector(weight()); // ĝ
        scratch.assign(dInput).muli(xHat);
        scratch.sum(stat.reshape(rows), 1);
        stat.divi(dim); // mean(ĝ ⊙ x̂)
        scratch.assign(xHat).muliColumnVector(stat);
        dInput.subi(scratch).muliColumnVector(invRms);
        return dInput;
    }
}
