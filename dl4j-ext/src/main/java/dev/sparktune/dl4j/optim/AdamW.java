package dev.sparktune.dl4j.optim;

import dev.sparktune.dl4j.params.ParamLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

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
 * <p>A parameter may run at a multiple of the scheduled lr (LoRA+: lora_B at loraplus_lr_ratio × lr), as a torch
 * parameter group with its own lr would: both its update and its decoupled decay use the scaled lr.
 */
public final class AdamW {
    private final ParamLayout layout;
    private final AdamWConfig config;
    private final long start;
    private final long end;
    private final List<Range> decayed = new ArrayList<>();   // inside [start, end)
    private final List<Range> scaled = new ArrayList<>();    // lr scale != 1, inside [start, end)
    private final INDArray m;        // [end - start], layout order
    private final INDArray v;        // [end - start]
    private final INDArray scratch;  // [end - start]
    private final INDArray scratch2; // [end - start]
    private long step;
    static final String STATE_FORMAT = "sparktune-adamw";
    static final String STATE_VERSION = "1";

    /** Decay applies to parameters of rank ≥ 2 (not to norms and biases), as LLaMA-Factory and HF Trainer do. */
    public static Predicate<ParamLayout.Entry> decayMatrices() {
        return e -> e.shape().length >= 2;
    }

    /** Elements [from, to) of the flat buffers and the factor on the scheduled lr they run at. */
    private record Range(long from, long to, double lrScale) {
    }

    /** Every parameter at the scheduled lr. */
    public static ToDoubleFunction<ParamLayout.Entry> sameLr() {
        return e -> 1.0;
    }

    /** The optimizer of every parameter. */
    public AdamW(ParamLayout layout, AdamWConfig config, Predicate<ParamLayout.Entry> decays) {
        this(layout, config, decays, sameLr(), 0, layout.totalLength());
    }

    /** The optimizer of every parameter, each at {@code lrScale} × the scheduled lr. */
    public AdamW(ParamLayout layout, AdamWConfig config, Predicate<ParamLayout.Entry> decays,
                 ToDoubleFunction<ParamLayout.Entry> lrScale) {
        this(layout, config, decays, lrScale, 0, layout.totalLength());
    }

    /** The optimizer of elements [start, end) of the layout's flat buffers only (one rank's shard). */
    public static AdamW sharded(ParamLayout layout, AdamWConfig config, Predicate<ParamLayout.Entry> decays,
                                long start, long end) {
        return new AdamW(layout, config, decays, sameLr(), start, end);
    }

    /** A shard whose parameters each run at {@code lrScale} × the scheduled lr. */
    public static AdamW sharded(ParamLayout layout, AdamWConfig config, Predicate<ParamLayout.Entry> decays,
                                ToDoubleFunction<ParamLayout.Entry> lrScale, long start, long end) {
        return new AdamW(layout, config, decays, lrScale, start, end);
    }

    private AdamW(ParamLayout layout, AdamWConfig config, Predicate<ParamLayout.Entry> decays,
                  ToDoubleFunction<ParamLayout.Entry> lrScale, long start, long end) {
        if (start < 0 || end < start || end > layout.totalLength()) {
            throw new IllegalArgumentException("shard [" + start + ", " + end + ") is outside the layout's "
                    + layout.totalLength() + " elements");
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
            if (decays.test(e)) {
                decayed.add(new Range(from, to, scale));
            }
            if (scale != 1.0) {
                scaled.add(new Range(from, to, scale));
            }
        }
        long n = Math.max(1, end - start);  // ND4J has no empty buffers; an empty shard never touches them
        this.m = Nd4j.zeros(DataType.FLOAT, n);
        this.v = Nd4j.zeros(DataType.FLOAT, n);
        this.scratch = Nd4j.zeros(DataType.FLOAT, n);
        this.scratch2 = Nd4j.zeros(DataType.FLOAT, n);
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
        step++;
        if (end == start) {
            return;
        }
        INDArray p = params.get(NDArrayIndex.interval(start, end));
        INDArray g = grads.get(NDArrayIndex.interval(start, end));
        if (config.weightDecay() > 0) {
            for (Range range : decayed) {
                params.get(NDArrayIndex.interval(range.from(), range.to()))
                        .muli(1.0 - lr * range.lrScale() * config.weightDecay());
            }
        }
        double b1 = config.beta1();
        double b2 = config.beta2();
        scratch.assign(g).subi(m).muli(1.0 - b1);
        m.addi(scratch);
        scratch.assign(g).muli(g).muli(1.0 - b2);
        v.muli(b2).addi(scratch);
        double bias1 = 1.0 - Math.pow(b1, step);
        double bias2Sqrt = Math.sqrt(1.0 - Math.pow(b2, step));
        scratch.assign(v);
        Transforms.sqrt(scratch, false);
        scratch.divi(bias2Sqrt).addi(config.eps());
        scratch2.assign(m).divi(scratch).muli(-lr / bias1);
        for (Range range : scaled) {
            scratch2.get(NDArrayIndex.interval(range.from() - start, range.to() - start)).muli(range.lrScale());
        }
        p.addi(scratch2);
    }

    /** First element of the flat buffers this optimizer updates. */
    public long start() {
        return start;
    }

    /** One past the last element this optimizer updates. */
    public long end() {
        return end;
    }

    /** Bytes of optimizer state held (two moments; the scratch buffers are working memory, not state). */
    public long stateBytes() {
        return 2L * 4 * (end - start);
    }

    /**
     * Saves the moments and step count as safetensors ({@code exp_avg/<param>}, {@code exp_avg_sq/<param>}; metadata
     * {@code format=sparktune-adamw}, {@code version}, {@code step}) into {@code dir}, so a resume can read them back
     * by name under any sharding.
     */
    public void saveState(java.nio.file.Path dir) {
        checkFullRange("save");
        java.util.Map<String, INDArray> tensors = new java.util.LinkedHashMap<>();
        for (ParamLayout.Entry e : layout.entries()) {
            tensors.put("exp_avg/" + e.name(), layout.view(m, e.name()));
        }
        for (ParamLayout.Entry e : layout.entries()) {
            tensors.put("exp_avg_sq/" + e.name(), layout.view(v, e.name()));
        }
        dev.sparktune.dl4j.safetensors.SafetensorsWriter.builder().metadata("format", STATE_FORMAT)
                .metadata("version", STATE_VERSION).metadata("step", Long.toString(step)).build().write(dir, tensors);
    }

    /**
     * Restores what {@link #saveState} wrote. Fails naming the tensor when a parameter's moments are missing or of
     * another shape (the state belongs to another model), and when the directory is not AdamW state.
     */
    public void loadState(java.nio.file.Path dir) {
        checkFullRange("load");
        var reader = dev.sparktune.dl4j.safetensors.SafetensorsReader.open(dir);
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
