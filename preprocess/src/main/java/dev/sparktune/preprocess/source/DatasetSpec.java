package dev.sparktune.preprocess.source;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * One resolved dataset: where its files are and how to read their records. Built by {@link DatasetCatalog}.
 *
 * @param name       the dataset_info.json key, or the file/folder name for a direct path
 * @param files      fully qualified Hadoop paths as {@code Path.toString()} writes them ({@code file:/data/a.jsonl},
 *                   {@code s3a://bucket/a.jsonl}), in read order (sorted by name within a folder); never empty
 * @param format     how every file of the dataset is laid out
 * @param formatting alpaca or sharegpt
 * @param columns    record keys to read
 * @param tags       sharegpt turn keys and role values (used for {@link Formatting#SHAREGPT} only)
 * @param ranking    preference pairs (dataset_info.json {@code ranking: true}): records hold a chosen and a rejected
 *                   response ({@code columns.chosen}, {@code columns.rejected})
 */
public record DatasetSpec(
        String name,
        List<String> files,
        FileFormat format,
        Formatting formatting,
        ColumnMapping columns,
        TagMapping tags,
        boolean ranking)
        implements Serializable {

    /** A dataset of single conversations or texts. */
    public DatasetSpec(
            String name,
            List<String> files,
            FileFormat format,
            Formatting formatting,
            ColumnMapping columns,
            TagMapping tags) {
        this(name, files, format, formatting, columns, tags, false);
    }

    public DatasetSpec {
        Objects.requireNonNull(name, "name");
        files = List.copyOf(files);
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(formatting, "formatting");
        Objects.requireNonNull(columns, "columns");
        Objects.requireNonNull(tags, "tags");
        if (files.isEmpty()) {
            throw new IllegalArgumentException("dataset '" + name + "' has no files");
        }
        if (ranking && (columns.chosen() == null || columns.rejected() == null)) {
            throw new IllegalArgumentException("ranking dataset '" + name + "' needs chosen and rejected columns");
        }
    }
}
