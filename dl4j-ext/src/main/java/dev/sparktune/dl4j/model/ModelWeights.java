package dev.sparktune.dl4j.model;

import dev.sparktune.dl4j.params.ParamLayout;
import org.nd4j.linalg.api.ndarray.INDArray;

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
}
