package dev.sparktune.dl4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import java.nio.file.Path;
import java.util.function.IntToDoubleFunction;

/** Element-wise comparisons of models, adapters and curves, by the largest absolute difference. */
public final class TensorAssertions {
    /** The PEFT adapter file in a trained adapter's directory. */
    public static final String ADAPTER_FILE = "adapter_model.safetensors";

    private TensorAssertions() {}

    /**
     * The largest |expected - actual| over every tensor of {@code expected}; {@code actual} must hold the same tensor
     * names.
     */
    public static double maxAbsDifference(SafetensorsReader expected, SafetensorsReader actual) {
        assertEquals(expected.tensors().keySet(), actual.tensors().keySet(), "the same tensors");
        double max = 0;
        for (String name : expected.tensors().keySet()) {
            max = Math.max(
                    max, expected.read(name).sub(actual.read(name)).amaxNumber().doubleValue());
        }
        return max;
    }

    /** {@link #maxAbsDifference(SafetensorsReader, SafetensorsReader)} of the adapters in two adapter directories. */
    public static double maxAdapterDifference(Path expectedDir, Path actualDir) {
        return maxAbsDifference(
                SafetensorsReader.open(expectedDir.resolve(ADAPTER_FILE)),
                SafetensorsReader.open(actualDir.resolve(ADAPTER_FILE)));
    }

    /** Asserts that the adapters in two adapter directories differ by at most {@code tolerance} anywhere. */
    public static void assertAdaptersClose(Path expectedDir, Path actualDir, double tolerance, String what) {
        double max = maxAdapterDifference(expectedDir, actualDir);
        assertTrue(max <= tolerance, what + ": adapters differ by " + max);
    }

    /**
     * Asserts that the models in two HF model directories (one file or shards) differ by at most {@code tolerance}
     * anywhere.
     */
    public static void assertModelsClose(Path expectedDir, Path actualDir, double tolerance, String what) {
        double max = maxAbsDifference(SafetensorsReader.open(expectedDir), SafetensorsReader.open(actualDir));
        assertTrue(max <= tolerance, what + ": models differ by " + max);
    }

    /** The largest |expected[i] - actual[i]|; the arrays must be as long. */
    public static double maxAbsDifference(double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length, "lengths");
        return maxAbs(expected.length, i -> expected[i] - actual[i]);
    }

    /** The largest |expected[i] - actual[i]| (each difference taken in float); the arrays must be as long. */
    public static double maxAbsDifference(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "lengths");
        return maxAbs(expected.length, i -> expected[i] - actual[i]);
    }

    private static double maxAbs(int n, IntToDoubleFunction difference) {
        double max = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Math.abs(difference.applyAsDouble(i)));
        }
        return max;
    }
}
