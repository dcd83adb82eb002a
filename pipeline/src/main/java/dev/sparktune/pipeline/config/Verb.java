package dev.sparktune.pipeline.config;

/**
 * The CLI verb a configuration is loaded for. Every verb validates every key that is set; a verb additionally requires
 * the keys it cannot run without (prep: a model, a dataset, an output table; train: a model, a table, an output
 * directory; export: a model and export_dir; eval: a model and a table; run: what its stages need), and those are
 * reported together with every other problem.
 */
public enum Verb {
    /** Datasets in, packed Delta table out: needs the model, data and prep sections. */
    PREP,
    /** Reads an existing table: needs only the spark section. */
    INSPECT,
    /** Packed table in, model or adapter out: needs the model and train sections. */
    TRAIN,
    /** Model (+ adapter) in, HF model directory or adapter out: needs the model and export sections. */
    EXPORT,
    /** Model (+ adapter) and the table's eval split in, metrics out: needs the model and eval sections. */
    EVAL,
    /** Packed table in, each document's log-prob under the reference model out: the model and train.ref_* keys. */
    REF_LOGPROBS,
    /** The whole pipeline: every section its stages use. */
    RUN;

    boolean needsPrepSection() {
        return this == PREP || this == RUN;
    }

    boolean needsTrainSection() {
        return this == TRAIN || this == RUN;
    }

    boolean needsExportSection() {
        return this == EXPORT || this == RUN;
    }

    boolean needsEvalSection() {
        return this == EVAL || this == RUN;
    }
}
