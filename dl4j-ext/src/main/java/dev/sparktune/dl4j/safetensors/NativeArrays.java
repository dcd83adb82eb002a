package dev.sparktune.dl4j.safetensors;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;
import org.bytedeco.javacpp.indexer.Bfloat16Indexer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.javacpp.indexer.HalfIndexer;
import org.bytedeco.javacpp.indexer.Indexer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J arrays over memory ND4J did not allocate: a fresh uninitialized buffer to read weights into, and a view of
 * mapped file bytes to convert from. Neither copies.
 */
public final class NativeArrays {
    private NativeArrays() {}

    /**
     * A flat c-order array of {@code length} elements whose pages are not touched until written. Nd4j.createUninitialized
     * zero-fills in 1.0.0-M2.1 (its RSS grows by the full size at once), and first touching fresh memory is the
     * dominant cost of a load on a VM (3-6 s/GiB measured here, 2.4 GB for a 0.6B model in fp32); left untouched,
     * the pages fault in on the threads that fill the buffer, in parallel.
     *
     * <p>The memory is freed when the array and every view of it are unreachable (JavaCPP's deallocator, as ND4J's
     * own buffers are freed by its deallocator service); {@code close()} releases only ND4J's handle. It is counted
     * neither in ND4J's allocation counter nor in JavaCPP's {@code Pointer.totalBytes()}: counting it there would put
     * the model under JavaCPP's {@code maxBytes}, which defaults to -Xmx.
     *
     * @param type FLOAT, BFLOAT16 or HALF
     */
    public static INDArray uninitialized(DataType type, long length) {
        if (length <= 0) {
            throw new IllegalArgumentException("length must be > 0, got " + length);
        }
        return over(new MallocMemory(Math.multiplyExact(length, (long) width(type))), type, length);
    }

    /**
     * A flat array over {@code length} elements of {@code type} at {@code memory}'s address (plus its position in
     * bytes), kept reachable by the array's buffer for as long as the array lives.
     */
    static INDArray over(Pointer memory, DataType type, long length) {
        Indexer indexer = switch (type) {
            case FLOAT -> FloatIndexer.create(new FloatPointer(memory).capacity(length));
            case BFLOAT16 -> Bfloat16Indexer.create(new ShortPointer(memory).capacity(length));
            case HALF -> HalfIndexer.create(new ShortPointer(memory).capacity(length));
            default ->
                throw new IllegalArgumentException("only FLOAT, BFLOAT16 and HALF arrays are made here, not " + type);
        };
        return Nd4j.create(
                Nd4j.createBuffer(memory, type, length, indexer), new long[] {length}, new long[] {1}, 0, 'c', type);
    }

    private static int width(DataType type) {
        return switch (type) {
            case FLOAT -> 4;
            case BFLOAT16, HALF -> 2;
            default -> throw new IllegalArgumentException("weights are held as FLOAT, BFLOAT16 or HALF, not " + type);
        };
    }

    /** malloc'd memory, freed by JavaCPP once unreachable; capacity stays 0 so that JavaCPP does not count it. */
    private static final class MallocMemory extends Pointer {
        MallocMemory(long bytes) {
            Pointer raw = Pointer.malloc(bytes);
            if (raw == null || raw.isNull()) {
                throw new OutOfMemoryError("cannot allocate " + bytes + " bytes of native memory for model weights");
            }
            address = raw.address();
            deallocator(new Free(raw));
        }

        /** Holds the raw pointer, not the owner, so that the owner can become unreachable. */
        private record Free(Pointer raw) implements Deallocator {
            @Override
            public void deallocate() {
                Pointer.free(raw);
            }
        }
    }
}
