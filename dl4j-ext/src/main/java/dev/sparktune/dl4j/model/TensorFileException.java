package dev.sparktune.dl4j.model;

/** A safetensors file or index is malformed (bad header, unknown dtype, offsets outside the file, ...). */
public final class TensorFileException extends ModelException {
    private static final long serialVersionUID = 1L;

    /** @param file the safetensors file or index, the exception's {@link #source()} */
    TensorFileException(String file, String message, Throwable cause) {
        super(file, message, cause);
    }
}
