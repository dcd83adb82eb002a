package dev.sparktune.dl4j.model;

import java.util.Arrays;
import java.util.List;

/** The one place that words dl4j-ext's user-facing errors: subject, what was asked, what is allowed, what to do. */
public final class ModelErrors {
    private ModelErrors() {}

    public static ModelConfigException missingField(String source, String field, String expected) {
        return new ModelConfigException(
                source,
                field,
                source + ": required field \"" + field + "\" is missing; expected " + expected
                        + ". Is this a Hugging Face config.json of a causal LM?");
    }

    public static ModelConfigException badField(String source, String field, Object value, String allowed) {
        return new ModelConfigException(
                source,
                field,
                source + ": field \"" + field + "\" = " + value + " is not allowed; expected " + allowed + ".");
    }

    public static ModelConfigException clash(String source, String field, String problem) {
        return new ModelConfigException(source, field, source + ": " + problem);
    }

    public static UnsupportedArchitectureException unknownArchitecture(
            String source, String requested, List<String> known) {
        return new UnsupportedArchitectureException(
                source,
                requested,
                known,
                source + ": architecture \"" + requested
                        + "\" is not supported; known architectures: " + String.join(", ", known)
                        + ". Convert the model to one of these, or add a ModelSpec for it.");
    }

    public static UnsupportedArchitectureException unsupportedFeature(
            String source, String feature, String requested, List<String> known) {
        return new UnsupportedArchitectureException(
                source,
                requested,
                known,
                source + ": " + feature + " \"" + requested + "\" is not supported; supported: "
                        + String.join(", ", known) + ".");
    }

    public static TensorMismatchException missingTensor(String tensor, long[] expectedShape, String where) {
        return new TensorMismatchException(
                tensor,
                expectedShape,
                null,
                where,
                "tensor \"" + tensor + "\" (expected shape "
                        + Arrays.toString(expectedShape) + ") is missing from " + where
                        + "; the files do not match this config (wrong model directory, or an incomplete download?)");
    }

    public static TensorMismatchException shapeMismatch(
            String tensor, long[] expectedShape, long[] actualShape, String where) {
        return new TensorMismatchException(
                tensor,
                expectedShape,
                actualShape,
                where,
                "tensor \"" + tensor + "\" in " + where
                        + " has shape " + Arrays.toString(actualShape) + " but the config implies "
                        + Arrays.toString(expectedShape) + "; config.json and the weights disagree");
    }

    public static TensorFileException badTensorFile(String file, String problem) {
        return new TensorFileException(file, file + ": " + problem, null);
    }

    public static TensorFileException badTensorFile(String file, String problem, Throwable cause) {
        return new TensorFileException(file, file + ": " + problem, cause);
    }
}
