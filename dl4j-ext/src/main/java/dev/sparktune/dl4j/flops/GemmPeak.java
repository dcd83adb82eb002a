package dev.sparktune.dl4j.flops;

import dev.sparktune.dl4j.layers.Gemm;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The FLOP/s this process gets from fp32 GEMM with its current thread settings: the denominator of MFU on a CPU,
 * where no datasheet peak applies (docs/architecture.md: 178-191 GFLOP/s on the 2-core machine, numpy ~200).
 */
public final class GemmPeak {
    private GemmPeak() {}

    /** Best of {@code repeats} products of two n × n FLOAT matrices into a preallocated result, after one warm-up. */
    public static double measure(int n, int repeats) {
        try (INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
                INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
                INDArray c = Nd4j.zeros(DataType.FLOAT, n, n)) {
            Gemm.into(a, b, c, false, false, 1.0, 0.0);
            double best = Double.MAX_VALUE;
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                Gemm.into(a, b, c, false, false, 1.0, 0.0);
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            return 2.0 * n * n * n / best;
        }
    }
}
