package dev.sparktune.dl4j.optim;

import dev.sparktune.dl4j.params.ParamLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.nd4j.linalg.api.ndarray.INDArray;
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
 */
public final class AdamW {
    private final ParamLayout layout;
    private final AdamWConfig config;
    private final List<String> decayed = new ArrayList<>();
    private final INDArray m;        // flat, layout order
    private final INDArray v;        // flat
    private final INDArray scratch;  // flat
    private final INDArray scratch2; // flat
    private long step;
    static final String STATE_FORMAT = "sparktune-adamw";
    static final String STATE_VERSION = "1";

    /** Decay applies to parameters of rank ≥ 2 (not to norms and biases), as LLaMA-Factory and HF Trainer do. */
    public static Predicate<ParamLayout.Entry> decayMatrices() {
        return e -> e.shape().length >= 2;
    }

    public AdamW(ParamLayout layout, AdamWConfig config, Predicate<ParamLayout.Entry> decays) {
        this.layout = layout;
        this.config = config;
        for (ParamLayout.Entry e : layout.entries()) {
            if (decays.test(e)) {
                decayed.add(e.name());
            }
        }
        this.m = layout.allocate();
        this.v = layout.allocate();
        this.scratch = layout.allocate();
        this.scratch2 = layout.allocate();
    }

    /** One update of {@code params} from {@code grads} at learning rate {@code lr} (the schedule already applied). */
    public void step(INDArray params, INDArray grads, double lr) {
        if (params.length() != layout.totalLength() || grads.length() != layout.totalLength()) {
            throw new IllegalArgumentException("params and grads must have the layout's " + layout.totalLength()
                    + " elements, got " + params.length() + " and " + grads.length());
        }
        step++;
        if (config.weightDecay() > 0) {
            double keep = 1.0 - lr * config.weightDecay();
            for (String name : decayed) {
                layout.view(params, name).muli(keep);
            }
        }
        double b1 = config.beta1();
        double b2 = config.beta2();
        scratch.assign(grads).subi(m).muli(1.0 - b1);
        m.addi(scratch);
        scratch.assign(grads).muli(grads).muli(1.0 - b2);
        v.muli(b2).addi(scratch);
        double bias1 = 1.0 - Math.pow(b1, step);
        double bias2Sqrt = Math.sqrt(1.0 - Math.pow(b2, step));
        scratch.assign(v);
        Transforms.sqrt(scratch, false);
        scratch.divi(bias2Sqrt).addi(config.eps());
        scratch2.assign(m).divi(scratch).muli(-lr / bias1);
        params.addi(scratch2);
    }

    /**
     * Saves the moments and step count as safetensors ({@code exp_avg/<param>}, {@code exp_avg_sq/<param>}; metadata
     * {@code format=sparktune-adamw}, {@code version}, {@code step}) into {@code dir}, so a resume can read them back
     * by name under any sharding.
     */
    public void saveState(java.nio.file.Path dir) {
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

    /** Optimizer steps taken. */
    public long steps() {
        return step;
    }

    /** First moments (flat, layout order). */
    public INDArray firstMoment() {
        return m;
    }

    /** Second moments (flat, layout order). */
    public INDArray secondMoment() {
        return v;
    }
}
