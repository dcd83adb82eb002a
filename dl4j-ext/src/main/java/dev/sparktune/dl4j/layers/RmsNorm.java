package dev.sparktune.dl4j.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * RMSNorm over the last dimension of R rows: {@code y = weight ⊙ x · r}, {@code r = 1/sqrt(mean(x²) + eps)}
 * (HF LlamaRMSNorm / Qwen3RMSNorm in fp32). For Qwen3's q/k norms, R = N·heads rows of D.
 *
 * <p>backward ADDS into the weight gradient (never zeroes it); with a null gradient the weight is frozen.
 */
public final class RmsNorm {
    private final String name;
    private final INDArray weight;   // [1, C]
    private final INDArray dWeight;  // [1, C]
    private final double eps;
    private final int rows;
    private final long dim;
    private final INDArray invRms;   // [R, 1]
    private final INDArray stat;     // [R, 1] scratch
    private final INDArray xHat;     // [R, C] x · r
    private final INDArray output;   // [R, C]
    private final INDArray dInput;   // [R, C]
    private final INDArray scratch;  // [R, C]
    private final INDArray onesRow;  // [1, R]

    public static RmsNorm of(LayerParams params, String name, double eps, int rows) {
        return new RmsNorm(params.prefix() + name, params.value(name + ".weight"), params.gradOrNull(name + ".weight"),
                eps, rows);
    }

    public RmsNorm(String name, INDArray weight, INDArray dWeight, double eps, int rows) {
        this.name = name;
        this.dim = weight.length();
        Shapes.check(name, "weight", weight, dim);
        if (dWeight != null) {
            Shapes.check(name, "weight gradient", dWeight, dim);
        }
        this.weight = weight.reshape(1, dim);
        this.dWeight = dWeight == null ? null : dWeight.reshape(1, dim);
        this.eps = eps;
        this.rows = rows;
        this.invRms = Shapes.buffer(rows, 1);
        this.stat = Shapes.buffer(rows, 1);
        this.xHat = Shapes.buffer(rows, dim);
        this.output = Shapes.buffer(rows, dim);
        this.dInput = Shapes.buffer(rows, dim);
        this.scratch = Shapes.buffer(rows, dim);
        this.onesRow = Shapes.buffer(1, rows).assign(1.0);
    }

    /** Whether backward adds into the weight gradient. */
    public boolean trainable() {
        return dWeight != null;
    }

    /** [R, C] → [R, C] (owned buffer). */
    public INDArray forward(INDArray x) {
        Shapes.check(name, "input", x, rows, dim);
        scratch.assign(x).muli(x);
        scratch.sum(invRms.reshape(rows), 1);
        invRms.divi(dim).addi(eps);
        Transforms.pow(invRms, -0.5, false);
        xHat.assign(x).muliColumnVector(invRms);
        output.assign(xHat).muliRowVector(weight);
        return output;
    }

    /**
     * Returns dx [R, C] (owned buffer); adds dWeight += Σ_rows dy ⊙ x̂. With y = w ⊙ x̂, x̂ = x·r:
     * dx = r · (ĝ − x̂ · mean(ĝ ⊙ x̂)), ĝ = dy ⊙ w.
     */
    public INDArray backward(INDArray dy) {
        Shapes.check(name, "output gradient", dy, rows, dim);
        if (dWeight != null) { // null: frozen
            scratch.assign(dy).muli(xHat);
            Gemm.into(onesRow, scratch, dWeight, false, false, 1.0, 1.0);
        }
        dInput.assign(dy).muliRowVector(weight);              // ĝ
        scratch.assign(dInput).muli(xHat);
        scratch.sum(stat.reshape(rows), 1);
        stat.divi(dim);                                        // mean(ĝ ⊙ x̂)
        scratch.assign(xHat).muliColumnVector(stat);
        dInput.subi(scratch).muliColumnVector(invRms);
        return dInput;
    }
}
