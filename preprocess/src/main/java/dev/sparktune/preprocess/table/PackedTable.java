package dev.sparktune.preprocess.table;

import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The packed-table contract (docs/architecture.md, "Contract: the packed Delta table"): column names, schema and table property keys.
 * The trainer reads tables through these names only.
 *
 * <p>{@code labels} are aligned with {@code input_ids}, unshifted (HF convention: {@code labels[i]} is the token at
 * position i when it carries loss, else -100). The trainer shifts within each {@code doc_lens} block: position i of
 * a document predicts {@code labels[i + 1]} of the same document, and a document's last position predicts nothing,
 * so no loss ever crosses a document boundary (dl4j-ext {@code CausalLm.targets}).
 */
public final class PackedTable {
    public static final String INPUT_IDS = "input_ids";
    public static final String LABELS = "labels";
    public static final String POSITION_IDS = "position_ids";
    public static final String DOC_LENS = "doc_lens";
    public static final String NUM_TOKENS = "num_tokens";
    public static final String NUM_SUPERVISED = "num_supervised";
    public static final String SOURCE = "source";
    public static final String SPLIT = "split";
    public static final String DOC_IDS = "doc_ids";
    /**
     * Each document's part: {@link #ROLE_DOCUMENT}, or in a {@code stage = dpo} table {@link #ROLE_CHOSEN} followed
     * by {@link #ROLE_REJECTED}, the two documents of one pair, adjacent in one row. Tables written before this
     * column existed lack it: every document is then a plain one.
     */
    public static final String DOC_ROLES = "doc_roles";

    public static final int ROLE_DOCUMENT = 0;
    public static final int ROLE_CHOSEN = 1;
    public static final int ROLE_REJECTED = 2;

    public static final String SPLIT_TRAIN = "train";
    public static final String SPLIT_EVAL = "eval";

    /** Table property keys (all prefixed, so they never clash with Delta's own {@code delta.*}). */
    public static final String PROP_TOKENIZER_SHA256 = "sparktune.tokenizer.sha256";

    public static final String PROP_TOKENIZER_PATH = "sparktune.tokenizer.path";
    public static final String PROP_VOCAB_SIZE = "sparktune.tokenizer.vocab_size";
    public static final String PROP_BOS_ID = "sparktune.tokenizer.bos_token_id";
    public static final String PROP_EOS_ID = "sparktune.tokenizer.eos_token_id";
    public static final String PROP_PAD_ID = "sparktune.tokenizer.pad_token_id";
    public static final String PROP_TEMPLATE = "sparktune.template";
    public static final String PROP_STAGE = "sparktune.stage";
    public static final String PROP_SEQ_LEN = "sparktune.seq_len";
    public static final String PROP_PACKING = "sparktune.packing";
    public static final String PROP_PREP_CONFIG_HASH = "sparktune.prep_config_hash";
    public static final String PROP_VERSION = "sparktune.version";
    /** Identifies the inputs + config that produced the current data: an identical re-run is skipped. */
    public static final String PROP_RUN_FINGERPRINT = "sparktune.run_fingerprint";
    /** The run's stats report as compact JSON (the same as the stats file). */
    public static final String PROP_STATS = "sparktune.stats";

    /** The {@link #PROP_STAGE} of a table of preference pairs ({@link #DOC_ROLES} then names each pair's parts). */
    public static final String STAGE_DPO = "dpo";

    /** Packing mode values of {@link #PROP_PACKING}. */
    public static final String PACKING_NONE = "none";

    public static final String PACKING_BLOCK_DIAGONAL = "block_diagonal";

    public static final StructType SCHEMA = new StructType(new StructField[] {
        field(INPUT_IDS, DataTypes.createArrayType(DataTypes.IntegerType, false)),
        field(LABELS, DataTypes.createArrayType(DataTypes.IntegerType, false)),
        field(POSITION_IDS, DataTypes.createArrayType(DataTypes.IntegerType, false)),
        field(DOC_LENS, DataTypes.createArrayType(DataTypes.IntegerType, false)),
        field(NUM_TOKENS, DataTypes.IntegerType),
        field(NUM_SUPERVISED, DataTypes.IntegerType),
        field(SOURCE, DataTypes.StringType),
        field(SPLIT, DataTypes.StringType),
        field(DOC_IDS, DataTypes.createArrayType(DataTypes.LongType, false)),
        field(DOC_ROLES, DataTypes.createArrayType(DataTypes.IntegerType, false)),
    });

    private PackedTable() {}

    /**
     * The doc id of a pair's rejected document, from its chosen one's (the record's id): a fixed mix of it, so both
     * stay stable across runs and distinct (reference log-probs are keyed by doc id).
     */
    public static long rejectedDocId(long chosenDocId) {
        long z = chosenDocId ^ 0x5245_4A45_4354_4544L; // "REJECTED"
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** An {@code array<int>} column as Spark's {@code Row.getList} gives it. */
    public static int[] ints(List<?> values) {
        int[] out = new int[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) values.get(i)).intValue();
        }
        return out;
    }

    /** An {@code array<bigint>} column ({@link #DOC_IDS}) as Spark's {@code Row.getList} gives it. */
    public static long[] longs(List<?> values) {
        long[] out = new long[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) values.get(i)).longValue();
        }
        return out;
    }

    private static StructField field(String name, DataType type) {
        return new StructField(name, type, false, Metadata.empty());
    }
}
