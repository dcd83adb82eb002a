package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.params.Views;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One fp32 scratch buffer into which frozen weights stored in bf16 or fp16 (the checkpoint's dtype) are widened just
 * before each product that reads them. Widening is exact (bf16 and fp16 values are all fp32 values), so a product
 * with the widened copy is bit-identical to the same product with weights stored in fp32, while the model holds
 * half the bytes per frozen weight plus this one buffer. The layers of a model share one widener: the products run
 * one at a time and none keeps a widened weight past its own call, so the buffer is sized for the largest weight
 * (or weight piece) any layer asks for. ND4J's casting assign widens ~16M bf16 values in ~3.5 ms on this machine,
 * against tens of milliseconds to seconds for the products that follow.
 */
final class WeightWidener {
    private static final ThreadLocal<WeightWidener> CURRENT = new ThreadLocal<>();
    private long capacity; // elements
    private INDArray buffer; // [capacity], allocated on first use

    /** Runs {@code build} with this widener serving {@link #reserve}; returns what it built. */
    <T> T building(Supplier<T> build) {
        WeightWidener outer = CURRENT.get();
        CURRENT.set(this);
        try {
            return build.get();
        } finally {
            CURRENT.set(outer);
        }
    }

    /**
     * The widener for a layer being built that will widen weights of up to {@code elements} elements: the model's,
     * or a new one for a layer built on its own.
     */
    static WeightWidener reserve(long elements) {
        WeightWidener w = CURRENT.get();
        if (w == null) {
            w = new WeightWidener();
        }
        w.capacity = Math.max(w.capacity, elements);
        return w;
    }

    /** Whether {@code weight} must be widened before a product (it is stored in a narrower float type). */
    static boolean isNarrow(INDArray weight) {
        DataType t = weight.dataType();
        if (t == DataType.FLOAT) {
            return false;
        }
        if (t != DataType.BFLOAT16 && t != DataType.HALF) {
            throw new IllegalArgumentException("weights must be FLOAT, BFLOAT16 or HALF, got " + t);
        }
        return true;
    }

    /**
     * {@code weight} as fp32 with its shape: itself when stored in fp32, else a c-order view of this buffer holding
     * its exact widening, valid until the next call.
     */
    INDArray widen(INDArray weight) {
        if (!isNarrow(weight)) {
            return weight;
        }
        long n = weight.length();
        if (n > capacity) {
            throw new IllegalStateException("a weight of " + n + " elements exceeds the " + capacity + " reserved");
        }
        if (buffer == null) {
            buffer = Nd4j.createUninitialized(DataType.FLOAT, capacity);
        }
        INDArray view = Views.reshaped(buffer, 0, weight.shape());
        return view.assign(weight);
    }

    /** Bytes of the buffer (reserved: allocated at the first widening). */
    long bytes() {
        return 4L * capacity;
    }
}
