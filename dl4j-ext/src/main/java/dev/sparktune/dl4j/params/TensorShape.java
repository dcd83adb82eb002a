package dev.sparktune.dl4j.params;

/** What a tensor's shape (its dimensions, row-major, as ND4J and safetensors write them) implies. */
public final class TensorShape {
    private TensorShape() {}

    /**
     * The number of elements: the product of the dimensions, 1 for a scalar's empty shape.
     *
     * @throws ArithmeticException when the product does not fit in a long
     */
    public static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
