package dev.sparktune.dl4j.model;

/** A safetensors file or index is malformed (bad header, unknown dtype, offsets outside the file, ...). */
public final class TensorFileException extends ModelException {
    private static final long serialVersionUID = 1L;
    private final String file;

    TensorFileException(String file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    public String file() {
        return file;
    }
}
