package dev.sparktune.pipeline.config;

/**
 * The CLI verb a configuration is loaded for. Every verb validates every key that is set; a verb additionally requires
 * the keys it cannot run without (prep: a model, a dataset, an output table; train: a model, a table, an output
 * directory), and those are reported together with every other problem.
 */
public enum Verb {
    /** Datasets in, packed Delta table out: needs the model, data and prep sections. */
    PREP,
    /** Reads an existing table: needs only the spark section. */
    INSPECT,
    /** Packed table in, model or adapter out: needs the model and train sections. */
    TRAIN;

    boolean needsPrepSection() {
        return this == PREP;
    }

    boolean needsTrainSection() {
        return this == TRAIN;
    }
}
