package dev.sparktune.trainer.data;

import static org.apache.spark.sql.functions.col;

import dev.sparktune.preprocess.table.PackedTable;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.delta.Snapshot;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Checks, on the driver, that one Delta version is a packed table tasks can read file by file: the contract's columns
 * and properties are there, and nothing Delta applies on top of the Parquet files (deletion vectors, column mapping,
 * partition values) would make the files' rows differ from the table's.
 */
final class PackedTableContract {
    /**
     * The properties that describe the data (docs/architecture.md, "Contract: the packed Delta table"). The run fingerprint, stats and
     * tokenizer path are prep's bookkeeping, so a table lacking them still trains.
     */
    static final List<String> REQUIRED_PROPERTIES = List.of(
            PackedTable.PROP_TOKENIZER_SHA256,
            PackedTable.PROP_VOCAB_SIZE,
            PackedTable.PROP_BOS_ID,
            PackedTable.PROP_EOS_ID,
            PackedTable.PROP_PAD_ID,
            PackedTable.PROP_TEMPLATE,
            PackedTable.PROP_STAGE,
            PackedTable.PROP_SEQ_LEN,
            PackedTable.PROP_PACKING,
            PackedTable.PROP_PREP_CONFIG_HASH,
            PackedTable.PROP_VERSION);

    static final String COLUMN_MAPPING_MODE = "delta.columnMapping.mode";

    private PackedTableContract() {}

    /**
     * @param properties the table properties of {@code snapshot}'s version
     * @return the version's {@code seq_len}
     */
    static int verify(String tablePath, Snapshot snapshot, Map<String, String> properties) {
        long version = snapshot.version();
        StructType schema = snapshot.schema();
        boolean pairs = PackedTable.STAGE_DPO.equals(properties.get(PackedTable.PROP_STAGE));
        for (StructField expected : PackedTable.SCHEMA.fields()) {
            // tables of single documents written before doc_roles existed lack it
            boolean optional = expected.name().equals(PackedTable.DOC_ROLES) && !pairs;
            if (!optional && !hasColumn(schema, expected)) {
                throw TrainDataErrors.missingColumn(tablePath, version, expected, schema);
            }
        }
        for (String property : REQUIRED_PROPERTIES) {
            if (!properties.containsKey(property)) {
                throw TrainDataErrors.missingProperty(tablePath, version, property, properties.keySet());
            }
        }
        String mode = properties.getOrDefault(COLUMN_MAPPING_MODE, "none");
        if (!mode.equals("none")) {
            throw TrainDataErrors.columnMapping(tablePath, version, COLUMN_MAPPING_MODE, mode);
        }
        if (!snapshot.metadata().partitionColumns().isEmpty()) {
            throw TrainDataErrors.partitioned(
                    tablePath,
                    version,
                    CollectionConverters.asJava(snapshot.metadata().partitionColumns()));
        }
        // the protocol says whether deletion vectors may exist; only files that carry one change the rows
        if (snapshot.deletionVectorsSupported()) {
            long withVectors = snapshot.allFiles()
                    .filter(col("deletionVector").isNotNull())
                    .count();
            if (withVectors > 0) {
                throw TrainDataErrors.deletionVectors(tablePath, version, withVectors);
            }
        }
        return seqLen(tablePath, version, properties.get(PackedTable.PROP_SEQ_LEN));
    }

    /** Same name and type; nullability aside, since tasks read the values, not the schema's flags. */
    private static boolean hasColumn(StructType schema, StructField expected) {
        for (StructField field : schema.fields()) {
            if (field.name().equals(expected.name())) {
                return field.dataType()
                        .catalogString()
                        .equals(expected.dataType().catalogString());
            }
        }
        return false;
    }

    private static int seqLen(String tablePath, long version, String value) {
        try {
            int seqLen = Integer.parseInt(value);
            if (seqLen > 0) {
                return seqLen;
            }
        } catch (NumberFormatException e) {
            // reported below with the property's name
        }
        throw TrainDataErrors.badSeqLen(tablePath, version, PackedTable.PROP_SEQ_LEN, value);
    }
}
