package dev.sparktune.preprocess.table;

import dev.sparktune.preprocess.reject.Reject;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Schema of the rejects table: one row per input record that did not become a document. */
public final class RejectsTable {
    public static final String DATASET = "dataset";
    public static final String FILE = "file";
    public static final String LOCATOR = "locator";
    public static final String RECORD = "record";
    public static final String REASON = "reason";
    public static final String MESSAGE = "message";

    public static final StructType SCHEMA = new StructType(new StructField[] {
        new StructField(DATASET, DataTypes.StringType, false, Metadata.empty()),
        new StructField(FILE, DataTypes.StringType, false, Metadata.empty()),
        new StructField(LOCATOR, DataTypes.LongType, false, Metadata.empty()),
        new StructField(RECORD, DataTypes.StringType, true, Metadata.empty()),
        new StructField(REASON, DataTypes.StringType, false, Metadata.empty()),
        new StructField(MESSAGE, DataTypes.StringType, false, Metadata.empty()),
    });

    private RejectsTable() {}

    public static Row toRow(Reject reject) {
        return RowFactory.create(
                reject.dataset(),
                reject.file(),
                reject.locator(),
                reject.record(),
                reject.reason().name(),
                reject.message());
    }
}
