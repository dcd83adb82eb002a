package dev.sparktune.dl4j.model;

import dev.sparktune.dl4j.params.ParamLayout;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A model's parameters in their flat HF layout ({@link HfParamNames}), readable by range: in memory
 * ({@link HfModelDir.Loaded}) or straight from a directory's safetensors files ({@link HfModelDir#open}), so that a
 * rank of a fully sharded run reads only its share of the weights.
 */
public interface ModelWeights {
    ModelConfig config();

    ParamLayout layout();

    /** Elements [from, to) of the flat layout into {@code dst} (a view of to - from elements). */
    void read(long from, long to, INDArray dst);

    /** All parameters in one new flat buffer (or this, when already loaded). */
    HfModelDir.Loaded load();

    /**
     * All parameters in one flat buffer laid out as {@code reordered}, a permutation of {@link #layout} (freeze
     * fine-tuning keeps the trained parameters in one contiguous tail: {@link ParamLayout#withLast}); this when it
     * is already that layout.
     */
    default HfModelDir.Loaded load(ParamLayout reordered) {
        if (layout().entries().equals(reordered.entries())) {
            return load();
        }
        if (!layout().sameParameters(reordered)) {
            throw new IllegalArgumentException("the layout to load into must hold this model's parameters, in any "
                    + "order");
        }
        INDArray params = reordered.allocate();
        for (ParamLayout.Entry e : layout().entries()) {
            long at = reordered.entry(e.name()).offset();
            read(e.offset(), e.offset() + e.length(), params.get(NDArrayIndex.interval(at, at + e.length())));
        }
        return new HfModelDir.Loaded(config(), reordered, params);
    }
}
