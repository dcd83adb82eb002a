package dev.sparktune.dl4j.params;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Views into contiguous arrays, made from the array's buffer at an absolute offset. ND4J 1.0.0-M2.1's
 * {@code get(NDArrayIndex.interval(..))} on an array that is itself a view returns an EMPTY array for some offsets
 * (measured on random row ranges of views: 0.5% of views of a flat buffer, 3% of head-major attention blocks; never a
 * wrong non-empty one, and never on a whole array), which the next operation then rejects. The parameter layout, the
 * attention tiles and the lm_head pieces all cut views of views, so they cut them here.
 */
public final class Views {
    private Views() {}

    /** Elements [from, to) of a contiguous rank-1 array, as a rank-1 view. */
    public static INDArray range(INDArray flat, long from, long to) {
        if (flat.rank() != 1) {
            throw new IllegalArgumentException("expected a rank-1 array, got shape " + Arrays.toString(flat.shape()));
        }
        if (from < 0 || to > flat.length() || to <= from) {
            throw new IllegalArgumentException("range [" + from + ", " + to + ") of " + flat.length() + " elements");
        }
        return reshaped(flat, from, to - from);
    }

    /** Rows [from, to) of a c-contiguous matrix. */
    public static INDArray rows(INDArray matrix, long from, long to) {
        if (matrix.rank() != 2 || from < 0 || to > matrix.rows() || to <= from) {
            throw new IllegalArgumentException(
                    "rows [" + from + ", " + to + ") of shape " + Arrays.toString(matrix.shape()));
        }
        return reshaped(matrix, from * matrix.columns(), to - from, matrix.columns());
    }

    /** Elements [from, from + product(shape)) of a contiguous array, in c order with {@code shape}. */
    public static INDArray reshaped(INDArray a, long from, long... shape) {
        if (from < 0 || from + TensorShape.elements(shape) > a.length()) {
            throw new IllegalArgumentException(Arrays.toString(shape) + " at " + from + " exceeds the " + a.length()
                    + " elements of " + Arrays.toString(a.shape()));
        }
        long[] stride = new long[shape.length];
        long step = 1; // c order: the last dimension's neighbours are adjacent
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = step;
            step *= shape[i];
        }
        return strided(a, from, shape, stride);
    }

    /**
     * The view of {@code shape} with element {@code stride}s starting {@code from} elements into a contiguous array
     * (e.g. a tile of a row-major matrix kept in a flat buffer).
     */
    public static INDArray strided(INDArray a, long from, long[] shape, long[] stride) {
        requireContiguous(a);
        return Nd4j.create(a.data(), shape, stride, a.offset() + from, 'c', a.dataType());
    }

    private static void requireContiguous(INDArray a) {
        if (a.length() > 1 && (a.elementWiseStride() != 1 || a.rank() > 1 && a.ordering() != 'c')) {
            throw new IllegalArgumentException("expected a contiguous c-order array, got shape "
                    + Arrays.toString(a.shape()) + " strides " + Arrays.toString(a.stride()));
        }
    }
}
