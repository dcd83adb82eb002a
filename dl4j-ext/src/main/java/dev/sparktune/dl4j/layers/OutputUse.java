package dev.sparktune.dl4j.layers;

/**
 * What a layer's caller does with the layer's output, which decides where the output buffer lives: an output the
 * caller's backward reads (a projection's input to its own gradient, a norm's output feeding projections) is kept
 * per layer; one the caller consumes within the same forward (copied into heads, added into the residual) lives in
 * the decoder layers' shared scratch, so L layers do not each hold a copy.
 */
public enum OutputUse {
    READ_IN_BACKWARD,
    FORWARD_ONLY
}
