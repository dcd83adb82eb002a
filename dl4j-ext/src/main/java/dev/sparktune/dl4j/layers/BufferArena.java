package dev.sparktune.dl4j.layers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where the layers built inside {@link #building} get their working buffers ({@link Shapes#buffer} asks the arena
 * of the current thread, as ND4J workspaces do). Every decoder layer asks for the same buffers in the same order, so
 * with a shared arena each layer built after a {@link #rewind} receives the first one's buffers: activation
 * checkpointing keeps one set of activations for all decoder layers and recomputes each layer's forward just before
 * its backward. An unshared arena hands out new buffers and only counts their bytes.
 */
final class BufferArena {
    private static final ThreadLocal<BufferArena> CURRENT = new ThreadLocal<>();
    private final boolean shared;
    private final List<INDArray> buffers = new ArrayList<>();
    private int next;

    /** @param shared whether the layers built in this arena share its buffers (their forward is recomputed) */
    BufferArena(boolean shared) {
        this.shared = shared;
    }

    /** Runs {@code build} with this arena serving {@link Shapes#buffer}; returns what it built. */
    <T> T building(Supplier<T> build) {
        BufferArena outer = CURRENT.get();
        CURRENT.set(this);
        try {
            return build.get();
        } finally {
            CURRENT.set(outer);
        }
    }

    /** The next build is served the buffers from the first again (shared arenas only). */
    void rewind() {
        if (shared) {
            next = 0;
        }
    }

    /** The arena serving the current thread's build, or null. */
    static BufferArena current() {
        return CURRENT.get();
    }

    /** Whether the layer being built shares its buffers with other layers, so its forward is recomputed. */
    static boolean buildingRecomputedLayer() {
        BufferArena a = CURRENT.get();
        return a != null && a.shared;
    }

    INDArray take(long... shape) {
        if (next < buffers.size()) {
            INDArray b = buffers.get(next++);
            if (!Arrays.equals(b.shape(), shape)) {
                throw new IllegalStateException("layers sharing an arena must ask for the same buffers in the same "
                        + "order: buffer " + (next - 1) + " is " + Arrays.toString(b.shape()) + ", asked "
                        + Arrays.toString(shape));
            }
            return b;
        }
        INDArray b = Nd4j.zeros(DataType.FLOAT, shape);
        buffers.add(b);
        next++;
        return b;
    }

    /** Bytes of the buffers this arena holds. */
    long bytes() {
        return buffers.stream().mapToLong(b -> 4L * b.length()).sum();
    }
}
