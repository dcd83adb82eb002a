package dev.sparktune.dl4j.layers;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Shape checks and buffer allocation shared by the layers. */
final class Shapes {
    private Shapes() {}

    /** Fails naming the layer and both shapes when {@code actual} is not {@code expected}, or not FLOAT. */
    static void check(String layer, String what, INDArray actual, long... expected) {
        checkShape(layer, what, actual, expected);
        if (actual.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException(layer + ": " + what + " must be FLOAT, is " + actual.dataType());
        }
    }

    /** The shape alone: frozen weights may be stored in bf16 / fp16 ({@link WeightWidener}). */
    static void checkShape(String layer, String what, INDArray actual, long... expected) {
        if (!Arrays.equals(actual.shape(), expected)) {
            throw new IllegalArgumentException(layer + ": " + what + " has shape " + Arrays.toString(actual.shape())
                    + " but the layer's buffers were sized for " + Arrays.toString(expected)
                    + "; build the layer for this (B, T)");
        }
    }

    /**
     * A buffer the layer's backward reads (what its forward keeps, its parameters' working copies): zeroed, or the
     * current kept {@link BufferArena}'s (a shared arena's may hold old values).
     */
    static INDArray buffer(long... shape) {
        BufferArena arena = BufferArena.kept();
        return arena == null ? Nd4j.zeros(DataType.FLOAT, shape) : arena.take(shape);
    }

    /**
     * A buffer whose contents are dead once the forward or backward call that wrote it returns (temporaries,
     * gradients passed down): the current scratch {@link BufferArena}'s, which the decoder layers share, or a new
     * zeroed one.
     */
    static INDArray scratch(long... shape) {
        BufferArena arena = BufferArena.scratch();
        return arena == null ? Nd4j.zeros(DataType.FLOAT, shape) : arena.take(shape);
    }

    /** {@link #buffer} when the caller's backward reads it, else {@link #scratch}. */
    static INDArray output(OutputUse use, long... shape) {
        return use == OutputUse.READ_IN_BACKWARD ? buffer(shape) : scratch(shape);
    }

    /**
     * Whole, c-ordered, offset-0 arrays (or reshapes of one) only: their NIO buffer is exactly their elements in
     * row-major order, read and written in place.
     */
    static FloatBuffer floats(INDArray a) {
        if (a.offset() != 0
                || a.ordering() != 'c'
                || a.elementWiseStride() != 1
                || a.data().length() != a.length()) {
            throw new IllegalArgumentException(
                    "raw float access needs a whole c-order array, got a view of shape " + Arrays.toString(a.shape()));
        }
        return a.data().asNioFloat();
    }
}
