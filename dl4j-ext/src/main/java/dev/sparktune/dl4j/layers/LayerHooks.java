package dev.sparktune.dl4j.layers;

/**
 * Calls {@link CausalLm} makes around each decoder layer, so that parallelism can be applied around the model without
 * changing it: fully sharded training gathers a layer's parameters before its forward and again before its backward,
 * and reduce-scatters its gradients right after its backward.
 */
public interface LayerHooks {
    /** No hooks: every parameter is resident. */
    LayerHooks NONE = new LayerHooks() {};

    /** Before decoder layer {@code layer}'s forward. */
    default void beforeForward(int layer) {}

    /** Before decoder layer {@code layer}'s backward. */
    default void beforeBackward(int layer) {}

    /** After decoder layer {@code layer}'s backward has added into its gradients. */
    default void afterBackward(int layer) {}
}
