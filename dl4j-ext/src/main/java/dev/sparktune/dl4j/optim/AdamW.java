package dev.sparktune.dl4j.optim;

import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.safetensors.SafetensorsWriter;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * AdamW over flat buffers sharing one {@link ParamLayout}: moments m and v are flat buffers of the same layout, so
 * each step is a few passes over contiguous memory (and a sharded trainer can run it on its slice of the layout).
 * The arithmetic mirrors torch.optim.AdamW's single-tensor path in fp32:
 * <pre>
 *   p ← p·(1 − lr·wd)                  (decayed parameters only)
 *   m ← m + (1 − β1)·(g − m)           v ← β2·v + (1 − β2)·g²
 *   p ← p − lr/(1 − β1^t) · m / (sqrt(v)/sqrt(1 − β2^t) + eps)
 * </pre>
 * A sharded optimizer ({@link #sharded}) owns only elements [start, end) of the flat buffers (ZeRO: each rank keeps
 * the moments of its shard); every operation is element-wise, so shards updated separately equal one full update.
 *
 * <p>The step is one fused pass over the native memory of p, g, m and v (read four, write three buffers) rather than
 * a dozen ND4J element-wise ops with temporaries: on a 100M-parameter model the optimizer was a second of a one-core
 * step and needed two more moment-sized scratch buffers.
 *
 * <p>A parameter may run at a multiple of the scheduled lr (LoRA+: lora_B at loraplus_lr_ratio × lr), as a torch
 * parameter group with its own lr would: both its update and its decoupled decay use the scaled lr.
 */
public final class AdamW {
    private final ParamLayout layout;
    private final AdamWConfig config;
    private final long start;
    private final long end;
    private final List<Range> ranges = new ArrayList<>(); // [start, end) by parameter
    private final INDArray m; // [end - start], layout order
    private final INDArray v; // [end - start]
    private long step;
    /** Elements per native-memory window: NIO buffers are int-indexed, flat buffers of big models are not. */
    private static final int WINDOW = 1 << 26;

    static final String STATE_FORMAT = "sparktune-adamw";
    static final String STATE_VERSION = "1";

    /** Decay applies to parameters of rank ≥ 2 (not to norms and biases), as LLaMA-Factory and HF Trainer do. */
    public static Predicate<ParamLayout.Entry> decayMatrices() {
        return e -> e.shape().length >= 2;
    }

    /** Elements [from, to) of the flat buffers, whether they decay, and the factor on the scheduled lr they run at. */
    private record Range(long from, long to, boolean decays, double lrScale) {}

    /** Every parameter at the scheduled lr. */
    public static ToDoubleFunction<ParamLayout.Entry> sameLr() {
        return e -> 1.0;
    }

    /** The optimizer of every parameter. */
    public AdamW(ParamLayout layout, AdamWConfig config, Predicate<ParamLayout.Entry> decays) {
        this(layout, config, decays, sameLr(), 0, layout.totalLength());
    }

    /** The optimizer of every parameter, each at {@code lrScale} × the scheduled lr. */
    public AdamW(
            ParamLayout layout,
            AdamWConfig config,
            Predicate<ParamLayout.Entry> decays,
            ToDoubleFunction<ParamLayout.Entry> lrScale) {
        this(layout, config, decays, lrScale, 0, layout.totalLength());
    }

    /**
     * The optimizer of elements [start, end) of the layout's flat buffers only (one rank's shard; 0 and the layout's
     * length for all of it), each parameter at {@code lrScale} × the scheduled lr.
     */
    public AdamW(
            ParamLayout layout,
            AdamWConfig config,
            Predicate<ParamLayout.Entry> decays,
            ToDoubleFunction<ParamLayout.Entry> lrScale,
            long start,
            long end) {
        if (start < 0 || end < start || end > layout.totalLength()) {
            throw new IllegalArgumentException(
                    "shard [" + start + ", " + end + ") is outside the layout's " + layout.totalLength() + " elements");
        }
        this.layout = layout;
        this.config = config;
        this.start = start;
        this.end = end;
        for (ParamLayout.Entry e : layout.entries()) {
            long from = Math.max(start, e.offset());
            long to = Math.min(end, e.offset() + e.length());
            if (from >= to) {
                continue;
            }
            double scale = lrScale.applyAsDouble(e);
            if (!(scale > 0) || Double.isInfinite(scale)) {
                throw new IllegalArgumentException(e.name() + ": lr scale must be positive and finite, got " + scale);
            }
            ranges.add(new Range(from, to, decays.test(e), scale));
        }
        long n = Math.max(1, end - start); // ND4J has no empty buffers; an empty shard never touches them
        this.m = Nd4j.zeros(DataType.FLOAT, n);
        this.v = Nd4j.zeros(DataType.FLOAT, n);
    }

    /**
     * One update of this optimizer's range of {@code params} from the same range of {@code grads} (both full flat
     * buffers of the layout) at learning rate {@code lr} (the schedule already applied).
     */
    public void step(INDArray params, INDArray grads, double lr) {
        if (params.length() != layout.totalLength() || grads.length() != layout.totalLength()) {
            throw new IllegalArgumentException("params and grads must have the layout's " + layout.totalLength()
                    + " elements, got " + params.length() + " and " + grads.length());
        }
        requireFlatFloat(params, "params");
        requireFlatFloat(grads, "grads");
        step++;
        double bias1 = 1.0 - Math.pow(config.beta1(), step);
        float bias2Sqrt = (float) Math.sqrt(1.0 - Math.pow(config.beta2(), step));
        float oneMinusBeta1 = (float) (1.0 - config.beta1());
        float beta2 = (float) config.beta2();
        float oneMinusBeta2 = (float) (1.0 - config.beta2());
        float eps = (float) config.eps();
        for (Range range : ranges) {
            double rangeLr = lr * range.lrScale();
            boolean decay = range.decays() && config.weightDecay() > 0;
            float keep = decay ? (float) (1.0 - rangeLr * config.weightDecay()) : 1f;
            float stepSize = (float) (-rangeLr / bias1);
            for (long from = range.from(); from < range.to(); from += WINDOW) {
                int n = (int) Math.min(WINDOW, range.to() - from);
                FloatBuffer p = window(params, from, n);
                FloatBuffer g = window(grads, from, n);
                FloatBuffer mw = window(m, from - start, n);
                FloatBuffer vw = window(v, from - start, n);
                for (int i = 0; i < n; i++) {
                    float gi = g.get(i);
                    float mi = mw.get(i);
                    mi += (gi - mi) * oneMinusBeta1;
                    float vi = vw.get(i) * beta2 + gi * gi * oneMinusBeta2;
                    mw.put(i, mi);
                    vw.put(i, vi);
                    float denom = (float) Math.sqrt(vi) / bias2Sqrt + eps;
                    float pi = decay ? p.get(i) * keep : p.get(i);
                    p.put(i, pi + mi / denom * stepSize);
                }
            }
        }
    }

    private static void requireFlatFloat(INDArray a, String what) {
        if (a.dataType() != DataType.FLOAT || a.elementWiseStride() != 1 || !(a.isVector() || a.ordering() == 'c')) {
            throw new IllegalArgumentException(what + " must be a contiguous fp32 buffer, got " + a.dataType()
                    + " with element stride " + a.elementWiseStride() + " and order " + a.ordering());
        }
    }

    /**
     * Elements [from, from + n) of a contiguous fp32 array (a view too) as a buffer over its native memory. A view's
     * data buffer is itself a view whose address is already at its offset (ND4J 1.0.0-M2.1: a view's
     * {@code offset()} and {@code data().offset()} agree); the difference covers an array whose buffer starts
     * before it.
     */
    private static FloatBuffer window(INDArray flat, long from, int n) {
        long at = flat.offset() - flat.data().offset() + from;
        // a pointer AT the window: a position beyond 2 GiB overflows the int capacity of the NIO buffer made from it
        FloatPointer window = new FloatPointer(flat.data().addressPointer()).getPointer(at);
        return window.capacity(n).limit(n).asBuffer();
    }

    /** First element of the flat buffers this optimizer updates. */
    public long start() {
        return start;
    }

    /** One past the last element this optimizer updates. */
    public long end() {
        return end;
    }

    /** Bytes of optimizer state held (two moments). */
    public long stateBytes() {
        return 2L * 4 * (end - start);
    }

    /**
     * Saves the moments and step count as safetensors ({@code exp_avg/<param>}, {@code exp_avg_sq/<param>}; metadata
     * {@code format=sparktune-adamw}, {@code version}, {@code step}) into {@code dir}, so a resume can read them back
     * by name under any sharding.
     */
    public void saveState(Path dir) {
        checkFullRange("save");
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        for (ParamLayout.Entry e : layout.entries()) {
            tensors.put("exp_avg/" + e.name(), layout.view(m, e.name()));
        }
        for (ParamLayout.Entry e : layout.entries()) {
            tensors.put("exp_avg_sq/" + e.name(), layout.view(v, e.name()));
        }
        SafetensorsWriter.builder()
                .metadata("format", STATE_FORMAT)
                .metadata("version", STATE_VERSION)
                .metadata("step", Long.toString(step))
                .build()
                .write(dir, tensors);
    }

    /**
     * Restores what {@link #saveState} wrote. Fails naming the tensor when a parameter's moments are missing or of
     * another shape (the state belongs to another model), and when the directory is not AdamW state.
     */
    public void loadState(Path dir) {
        checkFullRange("load");
        var reader = SafetensorsReader.open(dir);
        if (!STATE_FORMAT.equals(reader.metadata().get("format"))
                || !STATE_VERSION.equals(reader.metadata().get("version"))) {
            throw new IllegalArgumentException(dir + " is not " + STATE_FORMAT + " version " + STATE_VERSION
                    + " state (metadata " + reader.metadata() + ")");
        }
        for (ParamLayout.Entry e : layout.entries()) {
            reader.readInto("exp_avg/" + e.name(), layout.view(m, e.name()));
            reader.readInto("exp_avg_sq/" + e.name(), layout.view(v, e.name()));
        }
        step = Long.parseLong(reader.metadata().get("step"));
    }

    private void checkFullRange(String what) {
        if (start != 0 || end != layout.totalLength()) {
            throw new IllegalStateException("cannot " + what + " the state of a sharded optimizer [" + start + ", "
                    + end + ") as a whole-model file; sharded state belongs to the trainer's checkpoint");
        }
    }

    /** Optimizer steps taken. */
    public long steps() {
        return step;
    }

    /**
     * Sets the step count after the moments were restored into {@link #firstMoment()} and {@link #secondMoment()}
     * from a checkpoint (the sharded counterpart of {@link #loadState}).
     */
    public void restoreSteps(long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        }
        this.step = steps;
    }

    /** First moments of [start, end) (flat, layout order). */
    public INDArray firstMoment() {
        return m;
    }

    /** Second moments of [start, end) (flat, layout order). */
    public INDArray secondMoment() {
        return v;
    }
}
