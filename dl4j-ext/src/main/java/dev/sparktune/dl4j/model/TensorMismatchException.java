package dev.sparktune.dl4j.model;

import java.util.Arrays;

/**
 * A named tensor is missing from a model's files, or present with a shape other than the one its config implies.
 * {@link #actualShape()} is {@code null} when the tensor is missing.
 */
public final class TensorMismatchException extends ModelException {
    private static final long serialVersionUID = 1L;
    private final String tensor;
    private final long[] expectedShape;
    private final long[] actualShape;

    /** @param where the model directory or tensor files that lack the tensor or hold it in another shape */
    TensorMismatchException(String tensor, long[] expectedShape, long[] actualShape, String where, String message) {
        super(where, message, null);
        this.tensor = tensor;
        this.expectedShape = expectedShape == null ? null : expectedShape.clone();
        this.actualShape = actualShape == null ? null : actualShape.clone();
    }

    public String tensor() {
        return tensor;
    }

    public long[] expectedShape() {
        return expectedShape == null ? null : expectedShape.clone();
    }

    public long[] actualShape() {
        return actualShape == null ? null : actualShape.clone();
    }

    public boolean isMissing() {
        return actualShape == null;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + tensor + ", expected " + Arrays.toString(expectedShape) + ", actual "
                + Arrays.toString(actualShape) + "]: " + getMessage();
    }
}
