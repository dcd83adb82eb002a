package dev.sparktune.dl4j.layers;

import java.util.Arrays;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code c = alpha * op(a) * op(b) + beta * c} into an existing {@code c}, which may be a strided view.
 *
 * <p>ND4J 1.0.0-M2.1's {@code Nd4j.gemm(a, b, c, ...)} rejects any {@code c} whose element-wise stride is not 1
 * ("C array should NOT be a view"), which includes a head's columns of a [rows, heads * dim] buffer; the
 * {@code Mmul} custom op it wraps handles such views correctly (pinned by {@code Nd4jBehaviourTest}), so this
 * calls the op directly. Accumulating (beta != 0) into a strided {@code c} gave a wrong result once here (C's old
 * contents lost) and could not be reproduced in 50 reruns, so that combination is refused rather than trusted;
 * the layers only accumulate into contiguous buffers (offset views of the flat gradients are contiguous).
 */
public final class Gemm {
    private Gemm() {}

    public static INDArray into(
            INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB, double alpha, double beta) {
        if (beta != 0.0 && c.elementWiseStride() != 1) {
            throw new IllegalArgumentException("gemm with beta=" + beta + " into a strided view of shape "
                    + Arrays.toString(c.shape()) + " is wrong in ND4J 1.0.0-M2.1; accumulate into a"
                    + " contiguous buffer");
        }
        Nd4j.exec(new Mmul(
                a,
                b,
                c,
                alpha,
                beta,
                MMulTranspose.builder()
                        .transposeA(transposeA)
                        .transposeB(transposeB)
                        .build()));
        return c;
    }
}
