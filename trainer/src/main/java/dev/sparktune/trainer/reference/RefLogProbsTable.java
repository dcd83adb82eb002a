package dev.sparktune.trainer.reference;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The reference log-probs table's contract: one row per document of the packed table version it was computed from,
 * keyed by doc_id, and properties naming that version and the reference model, so that training can refuse
 * log-probs of another table or model.
 */
public final class RefLogProbsTable {
    public static final String DOC_ID = "doc_id";
    public static final String SPLIT = "split";
    /** Σ over the document's supervised tokens of log p(token | the document before it). */
    public static final String REF_LOGP = "ref_logp";
    /** The number of those tokens. */
    public static final String REF_TOKENS = "ref_tokens";

    public static final String PROP_SOURCE_TABLE = "sparktune.ref.source_table";
    public static final String PROP_SOURCE_VERSION = "sparktune.ref.source_version";
    public static final String PROP_MODEL = "sparktune.ref.model";
    public static final String PROP_ADAPTER = "sparktune.ref.adapter";
    /** The reference model's fingerprint (config.json, weights sample; the merged adapter's whole files). */
    public static final String PROP_MODEL_FINGERPRINT = "sparktune.ref.model_fingerprint";

    public static final StructType SCHEMA = new StructType(new StructField[] {
        new StructField(DOC_ID, DataTypes.LongType, false, Metadata.empty()),
        new StructField(SPLIT, DataTypes.StringType, false, Metadata.empty()),
        new StructField(REF_LOGP, DataTypes.DoubleType, false, Metadata.empty()),
        new StructField(REF_TOKENS, DataTypes.IntegerType, false, Metadata.empty()),
    });

    private RefLogProbsTable() {}
}
