package dev.sparktune.dl4j.layers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where the layers built inside {@link #building} get their working buffers, as ND4J workspaces do: a layer asks
 * {@link Shapes#buffer} for what its backward reads (served by the "kept" arena) and {@link Shapes#scratch} for what
 * is dead once the call that wrote it returns (served by the "scratch" arena). Every decoder layer asks for the same
 * buffers in the same order, so with a shared arena each layer built after a {@link #rewind} receives the first
 * one's buffers:
 * <ul>
 *   <li>the scratch arena of the decoder layers is always shared: a layer's forward temporaries and backward
 *       gradients are dead before the next layer runs, so L layers need one set;</li>
 *   <li>the kept arena is one per layer, or shared under activation checkpointing, which keeps one set of kept
 *       activations for all decoder layers and recomputes each layer's forward just before its backward.</li>
 * </ul>
 * An unshared arena hands out new buffers and only counts their bytes. An arena {@link #over} another (a model for
 * shorter rows over the longest rows' model, {@code CausalLm}) hands out, for its i-th request, a c-order prefix of
 * the other's i-th buffer: both models' layers ask in the same order for buffers no larger in the shorter model, so
 * the i-th buffer has the same role in both (a constant such as a ones row holds in both), and only one of the two
 * models runs at a time. As in a shared arena, a buffer may hold what the other model wrote: the layers write every
 * element they read before reading it.
 */
final class BufferArena {
    private static final ThreadLocal<BufferArena[]> CURRENT = new ThreadLocal<>(); // {kept, scratch}
    private final boolean shared;
    private final BufferArena backing; // whose buffers this arena's are prefixes of; null: its own
    private final List<INDArray> buffers = new ArrayList<>();
    private long ownBytes;
    private int next;

    /** @param shared whether the layers built in this arena share its buffers */
    BufferArena(boolean shared) {
        this(shared, null);
    }

    private BufferArena(boolean shared, BufferArena backing) {
        this.shared = shared;
        this.backing = backing;
    }

    /**
     * An arena sharing {@code backing}'s sharing rule whose buffers are prefixes of {@code backing}'s: the same layers
     * built for fewer rows take no memory of their own.
     */
    static BufferArena over(BufferArena backing) {
        return new BufferArena(backing.shared, backing);
    }

    /** Runs {@code build} with this arena serving both kept and scratch buffers; returns what it built. */
    <T> T building(Supplier<T> build) {
        return building(this, build);
    }

    /** Runs {@code build} with this arena serving kept buffers and {@code scratch} serving scratch buffers. */
    <T> T building(BufferArena scratch, Supplier<T> build) {
        BufferArena[] outer = CURRENT.get();
        CURRENT.set(new BufferArena[] {this, scratch});
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

    /** The arena serving the current thread's kept buffers, or null. */
    static BufferArena kept() {
        BufferArena[] a = CURRENT.get();
        return a == null ? null : a[0];
    }

    /** The arena serving the current thread's scratch buffers, or null. */
    static BufferArena scratch() {
        BufferArena[] a = CURRENT.get();
        return a == null ? null : a[1];
    }

    /**
     * Whether the layer being built shares its kept buffers with other layers, so its forward is recomputed before
     * its backward (activation checkpointing).
     */
    static boolean buildingRecomputedLayer() {
        BufferArena a = kept();
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
        INDArray b = backing != null && next < backing.buffers.size() ? prefix(backing.buffers.get(next), shape) : null;
        if (b == null) {
            b = Nd4j.zeros(DataType.FLOAT, shape);
            ownBytes += 4L * b.length();
        }
        buffers.add(b);
        next++;
        return b;
    }

    /**
     * The first elements of {@code whole} as a c-order array of {@code shape} whose data buffer is exactly those
     * elements (so {@link Shapes#floats} reads it in place), or null when {@code whole} is smaller.
     */
    private static INDArray prefix(INDArray whole, long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n > whole.length()) {
            return null;
        }
        long[] stride = new long[shape.length];
        long step = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = step;
            step *= shape[i];
        }
        return Nd4j.create(Nd4j.createBuffer(whole.data(), whole.offset(), n), shape, stride, 0, 'c');
    }

    /** Bytes of the buffers this arena allocated (not those it took from the arena it is {@link #over}). */
    long bytes() {
        return ownBytes;
    }
}
