package dev.sparktune.trainer.data;

import dev.sparktune.preprocess.table.PackedTable;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.hadoop.api.InitContext;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Reads only the columns training needs from a packed-table Parquet file, so the others (position ids, lineage) are
 * never decoded (a table of preference pairs adds doc_ids and doc_roles). The projection is cut from each file's own schema rather than written out, so whichever list layout
 * and element nullability the writer chose (Delta's writes make every element {@code optional}) is read as written.
 */
final class PackedRowReadSupport extends GroupReadSupport {
    private static final List<String> COLUMNS =
            List.of(PackedTable.INPUT_IDS, PackedTable.LABELS, PackedTable.DOC_LENS, PackedTable.SPLIT);
    private static final List<String> PAIR_COLUMNS = List.of(PackedTable.DOC_IDS, PackedTable.DOC_ROLES);
    private final boolean pairs;

    PackedRowReadSupport(boolean pairs) {
        this.pairs = pairs;
    }

    @Override
    public ReadContext init(InitContext context) {
        MessageType file = context.getFileSchema();
        List<Type> projected = new ArrayList<>();
        List<String> columns = new ArrayList<>(COLUMNS);
        if (pairs) {
            columns.addAll(PAIR_COLUMNS);
        }
        for (String column : columns) {
            if (!file.containsField(column)) {
                throw new IllegalStateException("the file has no column " + column + " (its schema: " + file + ")");
            }
            projected.add(file.getType(column));
        }
        return new ReadContext(new MessageType(file.getName(), projected));
    }
}
