package dev.sparktune.dl4j.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/** A linear map inside a layer: a plain {@link Linear} or a {@link LoraLinear} on a frozen one. */
public interface Projection {
    /** x [N, IN] → [N, OUT] (an owned buffer). */
    INDArray forward(INDArray x);

    /** Returns dx [N, IN] (an owned buffer); adds into this projection's parameter gradients. */
    INDArray backward(INDArray dOutput);

    /** Like {@link #backward} but ADDS dx into {@code dInputSum}. */
    void backwardAccumulate(INDArray dOutput, INDArray dInputSum);

    long inFeatures();

    /** Whether backward adds into any parameter gradient (false: a frozen plain linear). */
    boolean trainable();

    long outFeatures();

    /**
     * Builds the projection called {@code name} (e.g. {@code q_proj}) under {@code params}' prefix, its output
     * buffer placed by {@code use}.
     */
    @FunctionalInterface
    interface Factory {
        Projection create(LayerParams params, String name, int rows, OutputUse use);

        /** Plain linear layers, trained (or frozen when the params carry no gradients). */
        Factory PLAIN = Linear::of;
    }
}
