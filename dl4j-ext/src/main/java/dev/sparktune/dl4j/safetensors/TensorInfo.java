package dev.sparktune.dl4j.safetensors;

import dev.sparktune.dl4j.params.TensorShape;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor's entry in a safetensors header.
 *
 * @param name       tensor name
 * @param dtype      stored dtype
 * @param shape      dimensions (empty for a scalar)
 * @param file       the file holding it
 * @param dataOffset absolute byte offset of its first byte in {@code file}
 * @param byteLength stored size in bytes
 */
public record TensorInfo(String name, TensorDType dtype, long[] shape, Path file, long dataOffset, long byteLength) {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long numel() {
        return TensorShape.elements(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && t.name.equals(name)
                && t.dtype == dtype
                && Arrays.equals(t.shape, shape)
                && t.file.equals(file)
                && t.dataOffset == dataOffset
                && t.byteLength == byteLength;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @" + file.getFileName() + ":" + dataOffset;
    }
}
