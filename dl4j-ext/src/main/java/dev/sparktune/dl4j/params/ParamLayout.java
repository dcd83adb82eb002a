package dev.sparktune.dl4j.params;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ordered (name, shape, offset) entries of every parameter inside one flat fp32 buffer. Parameters, their
 * gradients and optimizer moments are each one flat buffer with this same layout, so AdamW, clipping and all-reduce
 * are a single pass over contiguous memory, and each weight is a view at its offset ({@link #view}).
 * Immutable; build with {@link #builder()}.
 */
public final class ParamLayout {

    /**
     * One parameter.
     *
     * @param name   HF tensor name, e.g. {@code model.layers.0.self_attn.q_proj.weight}
     * @param shape  its dimensions, row-major
     * @param offset first element's index in the flat buffer
     */
    public record Entry(String name, long[] shape, long offset) {
        public Entry {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("parameter name must be non-empty");
            }
            if (shape == null || shape.length == 0) {
                throw new IllegalArgumentException("parameter " + name + " needs at least one dimension");
            }
            for (long d : shape) {
                if (d <= 0) {
                    throw new IllegalArgumentException(
                            "parameter " + name + " has a non-positive dimension in " + Arrays.toString(shape));
                }
            }
            if (offset < 0) {
                throw new IllegalArgumentException("parameter " + name + " has negative offset " + offset);
            }
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long length() {
            return TensorShape.elements(shape);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && e.name.equals(name) && Arrays.equals(e.shape, shape) && e.offset == offset;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Long.hashCode(offset);
        }

        @Override
        public String toString() {
            return name + Arrays.toString(shape) + "@" + offset;
        }
    }

    private final List<Entry> entries;
    private final Map<String, Entry> byName;
    private final long totalLength;

    private ParamLayout(List<Entry> entries) {
        this.entries = Collections.unmodifiableList(new ArrayList<>(entries));
        Map<String, Entry> map = new LinkedHashMap<>();
        long total = 0;
        for (Entry e : entries) {
            map.put(e.name(), e);
            total = e.offset() + e.length();
        }
        this.byName = Collections.unmodifiableMap(map);
        this.totalLength = total;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Adds parameters in order; each starts where the previous one ends. */
    public static final class Builder {
        private final List<Entry> entries = new ArrayList<>();
        private final Map<String, Entry> seen = new LinkedHashMap<>();
        private long next;

        public Builder add(String name, long... shape) {
            if (seen.containsKey(name)) {
                throw new IllegalArgumentException("parameter " + name + " is already in the layout");
            }
            Entry e = new Entry(name, shape, next);
            entries.add(e);
            seen.put(name, e);
            next = Math.addExact(next, e.length());
            return this;
        }

        public ParamLayout build() {
            return new ParamLayout(entries);
        }
    }

    public List<Entry> entries() {
        return entries;
    }

    /** The parameter names, in layout order. */
    public List<String> names() {
        return entries.stream().map(Entry::name).toList();
    }

    /**
     * The same parameters with those {@code last} selects moved behind the others (each part keeping this layout's
     * order): the selected ones then fill one contiguous range at the end of the flat buffer, so a freeze fine-tune
     * can hand exactly that range to the optimizer and the collectives. See {@link #subset}.
     */
    public ParamLayout withLast(Predicate<String> last) {
        Builder b = builder();
        entries.stream().filter(e -> !last.test(e.name())).forEach(e -> b.add(e.name(), e.shape));
        entries.stream().filter(e -> last.test(e.name())).forEach(e -> b.add(e.name(), e.shape));
        return b.build();
    }

    /**
     * Only the parameters {@code keep} selects, in this layout's order, packed from offset 0: the layout of a buffer
     * holding just those (in {@link #withLast}'s layout they are the tail, at the same relative offsets).
     */
    public ParamLayout subset(Predicate<String> keep) {
        Builder b = builder();
        entries.stream().filter(e -> keep.test(e.name())).forEach(e -> b.add(e.name(), e.shape));
        return b.build();
    }

    /** True when both layouts hold the same parameter names with the same shapes, in any order. */
    public boolean sameParameters(ParamLayout other) {
        if (other.entries.size() != entries.size()) {
            return false;
        }
        for (Entry e : entries) {
            Entry o = other.byName.get(e.name());
            if (o == null || !Arrays.equals(o.shape, e.shape)) {
                return false;
            }
        }
        return true;
    }

    /** Elements in the flat buffer. */
    public long totalLength() {
        return totalLength;
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    public Entry entry(String name) {
        Entry e = byName.get(name);
        if (e == null) {
            throw new IllegalArgumentException(
                    "no parameter \"" + name + "\" in this layout of " + entries.size() + " parameters");
        }
        return e;
    }

    /** A new zeroed flat fp32 buffer of {@link #totalLength()} elements (params, grads or moments). */
    public INDArray allocate() {
        return Nd4j.zeros(DataType.FLOAT, totalLength);
    }

    /**
     * The view of parameter {@code name} in {@code flat} (FLOAT; or BFLOAT16 / HALF holding frozen weights in the
     * checkpoint's dtype): writes go through to the flat buffer.
     */
    public INDArray view(INDArray flat, String name) {
        checkFlat(flat);
        Entry e = entry(name);
        return Views.reshaped(flat, e.offset(), e.shape());
    }

    /** Views of every parameter, in layout order. */
    public Map<String, INDArray> views(INDArray flat) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Entry e : entries) {
            out.put(e.name(), view(flat, e.name()));
        }
        return Collections.unmodifiableMap(out);
    }

    private void checkFlat(INDArray flat) {
        DataType t = flat.dataType();
        if (flat.rank() != 1
                || flat.length() != totalLength
                || flat.elementWiseStride() != 1
                || t != DataType.FLOAT && t != DataType.BFLOAT16 && t != DataType.HALF) {
            throw new IllegalArgumentException("expected a contiguous flat FLOAT, BFLOAT16 or HALF buffer of "
                    + totalLength + " elements, got " + flat.dataType() + Arrays.toString(flat.shape()));
        }
    }
}
