package dev.sparktune.preprocess.source;

/**
 * How a dataset's files are laid out. Chosen from the extension ({@code .jsonl}, {@code .parquet}); a {@code .json}
 * file is sniffed: a first non-blank character {@code [} means one JSON array, anything else JSON lines (HF
 * {@code datasets}, and so LLaMA-Factory, accept both in a {@code .json} file).
 */
public enum FileFormat {
    /** One JSON array of records per file. */
    JSON_ARRAY,
    /** One JSON record per line. */
    JSONL,
    /** Parquet; every row becomes a record. */
    PARQUET
}
