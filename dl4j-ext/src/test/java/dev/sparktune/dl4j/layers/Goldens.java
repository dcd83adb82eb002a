package dev.sparktune.dl4j.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.safetensors.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Reads a goldens file written by scripts/goldens/model_layers.py and compares tensors with a report line each. */
final class Goldens {
    static final double FORWARD_ABS = 1e-5;
    static final double GRAD_REL = 1e-3;

    final SafetensorsReader reader;
    final Map<String, JsonNode> cases = new LinkedHashMap<>();
    final List<String> report = new ArrayList<>();

    Goldens(Path file) {
        reader = SafetensorsReader.open(file);
        try {
            JsonNode root = new ObjectMapper().readTree(reader.metadata().get("cases"));
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                cases.put(e.getKey(), e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    INDArray tensor(String caseName, String name) {
        return reader.read(caseName + "/" + name);
    }

    /** Parameter names of a case (everything under "case/d/"), in file order. */
    List<String> paramNames(String caseName) {
        List<String> out = new ArrayList<>();
        String prefix = caseName + "/d/";
        for (String n : reader.tensors().keySet()) {
            if (n.startsWith(prefix)) {
                out.add(n.substring(prefix.length()));
            }
        }
        return out;
    }

    /** A layout of the case's parameters, values loaded into {@code params}, gradients zero. */
    LayerParams load(String caseName) {
        ParamLayout.Builder b = ParamLayout.builder();
        for (String p : paramNames(caseName)) {
            TensorInfo info = reader.info(caseName + "/" + p);
            b.add(p, info.shape());
        }
        ParamLayout layout = b.build();
        INDArray params = layout.allocate();
        for (String p : paramNames(caseName)) {
            reader.readInto(caseName + "/" + p, layout.view(params, p));
        }
        return new LayerParams(layout, params, layout.allocate(), "");
    }

    /** Forward outputs: max |actual − expected| ≤ {@link #FORWARD_ABS}. */
    void forward(String what, INDArray expected, INDArray actual) {
        compare(what, expected, actual, FORWARD_ABS, false);
    }

    /** Gradients: max |actual − expected| / max |expected| ≤ {@link #GRAD_REL}, scaled by {@code times}. */
    void grad(String what, INDArray expected, INDArray actual) {
        compare(what, expected, actual, GRAD_REL, true);
    }

    /** max |actual − expected| ≤ {@code tol}. */
    void compareAbs(String what, INDArray expected, INDArray actual, double tol) {
        compare(what, expected, actual, tol, false);
    }

    private void compare(String what, INDArray expected, INDArray actual, double tol, boolean relative) {
        assertTrue(
                Arrays.equals(expected.shape(), actual.shape()),
                what + ": shape " + Arrays.toString(actual.shape()) + " vs expected "
                        + Arrays.toString(expected.shape()));
        float[] e = expected.dup('c').data().asFloat();
        float[] a = actual.dup('c').data().asFloat();
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < e.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs((double) a[i] - e[i]));
            maxRef = Math.max(maxRef, Math.abs(e[i]));
            assertTrue(Float.isFinite(a[i]), what + "[" + i + "] is " + a[i]);
        }
        double rel = maxDiff / Math.max(maxRef, 1e-30);
        String line = String.format("%-40s max|diff| %.3e  rel %.3e  (max|ref| %.3e)", what, maxDiff, rel, maxRef);
        report.add(line);
        double measured = relative ? rel : maxDiff;
        assertTrue(measured <= tol, what + ": " + line + " exceeds " + (relative ? "relative " : "absolute ") + tol);
    }
}
