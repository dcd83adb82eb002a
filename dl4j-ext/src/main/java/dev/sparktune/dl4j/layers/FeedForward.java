package dev.sparktune.dl4j.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/** A decoder layer's feed-forward part: the dense gated MLP ({@link SwiGluMlp}) or routed experts ({@link RoutedExperts}). */
interface FeedForward {
    /** x [N, C] → [N, C] (a scratch buffer: the caller consumes it before the next layer runs); x stays unchanged until backward. */
    INDArray forward(INDArray x);

    /** dx [N, C] (a scratch buffer); ADDS into the parameter gradients. */
    INDArray backward(INDArray dOut);

    /** Whether backward adds into any parameter gradient. */
    boolean trainable();
}
