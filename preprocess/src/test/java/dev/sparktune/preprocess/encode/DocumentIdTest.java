package dev.sparktune.preprocess.encode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.sparktune.preprocess.source.ColumnMapping;
import dev.sparktune.preprocess.source.DatasetSpec;
import dev.sparktune.preprocess.source.FileFormat;
import dev.sparktune.preprocess.source.Formatting;
import dev.sparktune.preprocess.source.SourceRecord;
import dev.sparktune.preprocess.source.TagMapping;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Document ids decide packing order and the trainer's row order: the same data must get the same ids wherever it is
 * stored (a copy from HDFS to s3a trains the same), and different records different ids.
 */
class DocumentIdTest {
    private static DatasetSpec spec(String name, String... files) {
        return new DatasetSpec(
                name,
                List.of(files),
                FileFormat.JSONL,
                Formatting.ALPACA,
                ColumnMapping.defaults(),
                TagMapping.sharegptDefaults());
    }

    private static long id(Map<String, String> roots, String dataset, String file, long line) {
        return DocumentEncoder.docId(SourceRecord.of(dataset, file, line, "{}"), roots.get(dataset));
    }

    @Test
    void idsDependOnTheDatasetTheFileBelowItsRootAndTheLineNotOnWhereTheDataLives() {
        Map<String, String> hdfs = DocumentEncoder.fileRoots(List.of(
                spec(
                        "chat",
                        "hdfs://nn:8020/data/v1/chat/part-a.jsonl",
                        "hdfs://nn:8020/data/v1/chat/sub/part-b.jsonl"),
                spec("one", "hdfs://nn:8020/data/v1/one.jsonl")));
        Map<String, String> s3 = DocumentEncoder.fileRoots(List.of(
                spec("chat", "s3a://bucket/copy/chat/part-a.jsonl", "s3a://bucket/copy/chat/sub/part-b.jsonl"),
                spec("one", "file:/tmp/x/one.jsonl")));
        assertEquals(Map.of("chat", "hdfs://nn:8020/data/v1/chat/", "one", "hdfs://nn:8020/data/v1/"), hdfs);
        assertEquals(
                id(hdfs, "chat", "hdfs://nn:8020/data/v1/chat/sub/part-b.jsonl", 7),
                id(s3, "chat", "s3a://bucket/copy/chat/sub/part-b.jsonl", 7));
        assertEquals(id(hdfs, "one", "hdfs://nn:8020/data/v1/one.jsonl", 0), id(s3, "one", "file:/tmp/x/one.jsonl", 0));

        long base = id(hdfs, "chat", "hdfs://nn:8020/data/v1/chat/part-a.jsonl", 7);
        assertNotEquals(base, id(hdfs, "chat", "hdfs://nn:8020/data/v1/chat/part-a.jsonl", 8), "line");
        assertNotEquals(base, id(hdfs, "chat", "hdfs://nn:8020/data/v1/chat/sub/part-b.jsonl", 7), "file");
        assertNotEquals(
                base,
                id(
                        Map.of("other", "hdfs://nn:8020/data/v1/chat/"),
                        "other",
                        "hdfs://nn:8020/data/v1/chat/part-a.jsonl",
                        7),
                "dataset");
    }
}
