package dev.sparktune.preprocess.source;

import static dev.sparktune.preprocess.source.ConverterAssertions.dialogue;
import static dev.sparktune.preprocess.source.ConverterAssertions.systemAndDialogue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.preprocess.api.Stage;
import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.conversation.Message;
import dev.sparktune.preprocess.conversation.Role;
import dev.sparktune.preprocess.conversation.ToolCall;
import dev.sparktune.preprocess.reject.RejectReason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourceReaderTest {
    private static SparkSession spark;

    @BeforeAll
    static void startSpark() {
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("SourceReaderTest")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.warehouse.dir", System.getProperty("java.io.tmpdir") + "/source-reader-test-wh")
                .getOrCreate();
    }

    @AfterAll
    static void stopSpark() {
        if (spark != null) {
            spark.stop();
        }
    }

    // ---- helpers ----

    private static List<SourceRecord> read(List<DatasetSpec> specs, long maxSamples) {
        List<SourceRecord> records =
                new ArrayList<>(SourceReader.read(spark, specs, maxSamples, 3).collect());
        records.sort(Comparator.comparing(SourceRecord::dataset)
                .thenComparing(SourceRecord::file)
                .thenComparingLong(SourceRecord::locator));
        return records;
    }

    private static List<DatasetSpec> resolve(String dir, Stage stage, String... names) {
        return DatasetCatalog.resolve(
                List.of(names), dir, stage, spark.sparkContext().hadoopConfiguration());
    }

    private static List<Long> locators(List<SourceRecord> records) {
        return records.stream().map(SourceRecord::locator).collect(Collectors.toList());
    }

    private static Conversion convert(List<DatasetSpec> specs, SourceRecord record, Stage stage) {
        DatasetSpec spec = specs.stream()
                .filter(s -> s.name().equals(record.dataset()))
                .findFirst()
                .orElseThrow();
        return RecordConverter.forSpec(spec, stage).convert(record);
    }

    private static void assertContains(String haystack, String... needles) {
        for (String needle : needles) {
            assertTrue(haystack != null && haystack.contains(needle), () -> "<" + needle + "> not in: " + haystack);
        }
    }

    // ---- JSON lines ----

    @Test
    void jsonLinesNumberPhysicalLinesSkipBlanksAndTolerateCrlf(@TempDir Path dir) throws IOException {
        Files.writeString(
                dir.resolve("d.jsonl"),
                "{\"instruction\": \"a\", \"output\": \"1\"}\n"
                        + "\n"
                        + "{\"instruction\": \"broken\", \n"
                        + "   \t\n"
                        + "{\"instruction\": \"b\", \"output\": \"2\"}\r\n"
                        + "{\"instruction\": \"c\", \"output\": \"3\"}");
        List<DatasetSpec> specs = resolve(dir.toString(), Stage.SFT, "d.jsonl");
        List<SourceRecord> records = read(specs, 0);
        assertEquals(List.of(1L, 3L, 5L, 6L), locators(records));
        assertEquals(
                "{\"instruction\": \"b\", \"output\": \"2\"}", records.get(2).text());
        assertEquals(specs.get(0).files().get(0), records.get(0).file());
        Conversion bad = convert(specs, records.get(1), Stage.SFT);
        assertEquals(RejectReason.MALFORMED_JSON, ((Conversion.Failed) bad).reason());
        assertTrue(convert(specs, records.get(3), Stage.SFT).isConverted());
    }

    @Test
    void invalidUtf8IsARecordNamingTheLine(@TempDir Path dir) throws IOException {
        byte[] good = "{\"text\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] bad = {'{', '"', 't', 'e', 'x', 't', '"', ':', ' ', '"', 'c', 'a', 'f', (byte) 0xC3, '(', '"', '}', '\n'
        };
        Files.write(dir.resolve("pt.jsonl"), concat(good, bad, good));
        List<DatasetSpec> specs = resolve(dir.toString(), Stage.PT, "pt.jsonl");
        List<SourceRecord> records = read(specs, 0);
        assertEquals(List.of(1L, 2L, 3L), locators(records));
        SourceRecord invalid = records.get(1);
        assertEquals(RejectReason.INVALID_UTF8, invalid.readError());
        assertContains(invalid.readErrorMessage(), "line 2", "not valid UTF-8", "byte 13", "0xC3");
        assertEquals(
                new Conversion.Failed(RejectReason.INVALID_UTF8, invalid.readErrorMessage()),
                convert(specs, invalid, Stage.PT));
        Conversion ok = convert(specs, records.get(2), Stage.PT);
        assertEquals(Conversation.rawText("caf\u00e9"), ((Conversion.Converted) ok).conversation());
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    // ---- JSON arrays ----

    @Test
    void jsonArrayElementsAreRecordsIndexedFromZero() {
        List<DatasetSpec> specs = resolve(DatasetCatalogTest.fixtureDir(), Stage.SFT, "alpaca_demo");
        List<SourceRecord> records = read(specs, 0);
        assertEquals(List.of(0L, 1L, 2L), locators(records));
        Conversation third = ((Conversion.Converted) convert(specs, records.get(2), Stage.SFT)).conversation();
        assertEquals(dialogue("Name a fruit", "Apple", "Another?", "Pear", "And another?", "Green"), third.messages());
        Conversation first = ((Conversion.Converted) convert(specs, records.get(0), Stage.SFT)).conversation();
        assertEquals(
                systemAndDialogue("You are a translator.", "Translate to French\nGood morning", "Bonjour"),
                first.messages());
    }

    @Test
    void malformedArrayKeepsTheElementsBeforeTheError() {
        List<DatasetSpec> specs = resolve(DatasetCatalogTest.fixtureDir(), Stage.SFT, "messy_array");
        List<SourceRecord> records = read(specs, 0);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L), locators(records));
        for (int i = 0; i < 6; i++) {
            assertTrue(records.get(i).isReadable(), records.get(i)::toString);
        }
        SourceRecord broken = records.get(6);
        assertEquals(RejectReason.MALFORMED_JSON, broken.readError());
        assertContains(
                broken.readErrorMessage(),
                "element 6",
                "messy_array.json",
                "byte offset",
                "line 8",
                "the rest of the file was not");
    }

    @Test
    void fileThatIsNotAnArrayIsOneRejectForTheFile(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("object.json"), "{\"instruction\": \"a\", \"output\": \"b\"}");
        DatasetSpec spec = new DatasetSpec(
                "object",
                List.of(file.toUri().toString()),
                FileFormat.JSON_ARRAY,
                Formatting.ALPACA,
                ColumnMapping.defaults(),
                TagMapping.sharegptDefaults());
        List<SourceRecord> records = read(List.of(spec), 0);
        assertEquals(1, records.size());
        assertEquals(-1L, records.get(0).locator());
        assertEquals(RejectReason.WRONG_TYPE, records.get(0).readError());
        assertContains(records.get(0).readErrorMessage(), "object.json", "is not a JSON array");
    }

    // ---- Parquet ----

    private static void writeParquet(Path dir, int rows, int files) {
        StructType schema = new StructType()
                .add("instruction", DataTypes.StringType)
                .add("input", DataTypes.StringType)
                .add("output", DataTypes.StringType);
        List<Row> data = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            data.add(RowFactory.create("q" + i, i % 2 == 0 ? null : "in" + i, "a" + i));
        }
        spark.createDataFrame(data, schema)
                .repartition(files)
                .sortWithinPartitions("output")
                .write()
                .mode("overwrite")
                .parquet(dir.toString());
    }

    @Test
    void parquetRowsBecomeJsonRecordsWithRowIndexes(@TempDir Path tmp) {
        Path dir = tmp.resolve("pq");
        writeParquet(dir, 10, 2);
        List<DatasetSpec> specs = resolve(tmp.toString(), Stage.SFT, "pq");
        assertEquals(FileFormat.PARQUET, specs.get(0).format());
        assertEquals(Formatting.ALPACA, specs.get(0).formatting());
        List<SourceRecord> records = read(specs, 0);
        assertEquals(10, records.size());
        Map<String, List<Long>> byFile = new TreeMap<>();
        for (SourceRecord r : records) {
            byFile.computeIfAbsent(r.file(), f -> new ArrayList<>()).add(r.locator());
            assertTrue(
                    specs.get(0).files().contains(r.file()),
                    () -> r.file() + " not in " + specs.get(0).files());
            Conversion c = convert(specs, r, Stage.SFT);
            assertTrue(c.isConverted(), c::toString);
        }
        for (List<Long> locators : byFile.values()) {
            List<Long> expected = new ArrayList<>();
            for (long i = 0; i < locators.size(); i++) {
                expected.add(i);
            }
            assertEquals(expected, locators);
        }
        SourceRecord withInput = records.stream()
                .filter(r -> r.text().contains("\"in"))
                .findFirst()
                .orElseThrow();
        String user = ((Conversion.Converted) convert(specs, withInput, Stage.SFT))
                .conversation()
                .messages()
                .get(0)
                .content();
        assertTrue(user.matches("q\\d\nin\\d"), user);
    }

    @Test
    void unreadableParquetFileIsOneReject(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("pq");
        writeParquet(dir, 4, 1);
        Files.writeString(dir.resolve("zz-corrupt.parquet"), "not parquet at all");
        List<DatasetSpec> specs = resolve(tmp.toString(), Stage.SFT, "pq");
        List<SourceRecord> records = read(specs, 0);
        assertEquals(5, records.size());
        List<SourceRecord> unreadable =
                records.stream().filter(r -> !r.isReadable()).toList();
        assertEquals(1, unreadable.size());
        assertEquals(RejectReason.UNREADABLE_FILE, unreadable.get(0).readError());
        assertEquals(-1L, unreadable.get(0).locator());
        assertContains(unreadable.get(0).readErrorMessage(), "zz-corrupt.parquet");
    }

    // ---- max_samples ----

    @Test
    void maxSamplesTakesTheFirstRecordsInFileThenLineOrder() {
        List<DatasetSpec> specs = resolve(DatasetCatalogTest.fixtureDir(), Stage.SFT, "folder_ds", "alpaca_demo");
        List<SourceRecord> four = read(specs, 4);
        List<String> folder = four.stream()
                .filter(r -> r.dataset().equals("folder_ds"))
                .map(r -> r.file().substring(r.file().lastIndexOf('/') + 1) + ":" + r.locator())
                .toList();
        assertEquals(
                List.of("part-00000.jsonl:1", "part-00000.jsonl:3", "part-00000.jsonl:4", "part-00001.jsonl:1"),
                folder);
        assertEquals(
                List.of(0L, 1L, 2L),
                locators(four.stream()
                        .filter(r -> r.dataset().equals("alpaca_demo"))
                        .toList()));

        List<SourceRecord> two = read(specs, 2);
        assertEquals(
                List.of("folder_ds:1", "folder_ds:3", "alpaca_demo:0", "alpaca_demo:1"),
                two.stream()
                        .sorted(Comparator.comparing(
                                        (SourceRecord r) -> !r.dataset().equals("folder_ds"))
                                .thenComparingLong(SourceRecord::locator))
                        .map(r -> r.dataset() + ":" + r.locator())
                        .toList());
        assertEquals(8, read(specs, 0).size());
    }

    @Test
    void maxSamplesOnParquetSpansFilesInOrder(@TempDir Path tmp) {
        Path dir = tmp.resolve("pq");
        writeParquet(dir, 12, 3);
        List<DatasetSpec> specs = resolve(tmp.toString(), Stage.SFT, "pq");
        List<String> files = specs.get(0).files();
        assertEquals(3, files.size());
        long firstFileRows = read(specs, 0).stream()
                .filter(r -> r.file().equals(files.get(0)))
                .count();
        long max = firstFileRows + 1;
        List<SourceRecord> records = read(specs, max);
        assertEquals(max, records.size());
        assertEquals(
                firstFileRows,
                records.stream().filter(r -> r.file().equals(files.get(0))).count());
        List<SourceRecord> second =
                records.stream().filter(r -> r.file().equals(files.get(1))).toList();
        assertEquals(List.of(0L), locators(second));
    }

    // ---- dataset_info.json end to end ----

    @Test
    void datasetInfoMappingsEndToEnd() {
        List<DatasetSpec> specs =
                resolve(DatasetCatalogTest.fixtureDir(), Stage.SFT, "sharegpt_demo", "openai_demo", "mapped_alpaca");
        List<SourceRecord> records = read(specs, 0);
        assertEquals(6, records.size());
        Map<String, List<Conversion>> byDataset = new TreeMap<>();
        for (SourceRecord r : records) {
            byDataset.computeIfAbsent(r.dataset(), d -> new ArrayList<>()).add(convert(specs, r, Stage.SFT));
        }

        List<Conversion> sharegpt = byDataset.get("sharegpt_demo");
        Conversation tools = ((Conversion.Converted) sharegpt.get(1)).conversation();
        assertEquals(
                Message.of(Role.SYSTEM, "Turn system wins."), tools.messages().get(0));
        assertEquals(
                new Message(Role.ASSISTANT, "", List.of(new ToolCall("get_weather", "{\"city\":\"Paris\"}"))),
                tools.messages().get(2));
        assertEquals(Message.of(Role.TOOL, "{\"temp\": 21}"), tools.messages().get(3));
        assertTrue(tools.toolsJson().startsWith("[{\"name\": \"get_weather\""), tools.toolsJson());
        assertEquals(
                Message.of(Role.SYSTEM, "Be brief."),
                ((Conversion.Converted) sharegpt.get(0))
                        .conversation()
                        .messages()
                        .get(0));

        List<Conversion> openAi = byDataset.get("openai_demo");
        assertEquals(
                systemAndDialogue("You are helpful.", "Hi", "Hello!"),
                ((Conversion.Converted) openAi.get(0)).conversation().messages());
        Conversion.Failed toolRole = (Conversion.Failed) openAi.get(1);
        assertEquals(RejectReason.UNKNOWN_ROLE, toolRole.reason());
        assertContains(toolRole.message(), "messages[1].role = \"tool\"");

        Conversation mapped =
                ((Conversion.Converted) byDataset.get("mapped_alpaca").get(0)).conversation();
        assertEquals(dialogue("2+2?", "4"), mapped.messages());
        assertNull(mapped.toolsJson());
    }

    @Test
    void pretrainingTextEndToEnd() {
        List<DatasetSpec> specs = resolve(DatasetCatalogTest.fixtureDir(), Stage.PT, "pt_demo");
        List<Conversion> out =
                read(specs, 0).stream().map(r -> convert(specs, r, Stage.PT)).toList();
        assertEquals(new Conversion.Converted(Conversation.rawText("The first document.")), out.get(0));
        assertEquals(RejectReason.EMPTY_CONVERSATION, ((Conversion.Failed) out.get(2)).reason());
    }

    // ---- reconciliation ----

    @Test
    void everyRecordReadIsConvertedOrFailedExactlyOnce() {
        List<DatasetSpec> specs = resolve(DatasetCatalogTest.fixtureDir(), Stage.SFT, "messy", "messy_array");
        List<SourceRecord> records = read(specs, 0);
        Map<String, Long> outcomes = new TreeMap<>();
        long converted = 0;
        long failed = 0;
        for (SourceRecord r : records) {
            Conversion c = convert(specs, r, Stage.SFT);
            if (c instanceof Conversion.Failed f) {
                failed++;
                outcomes.merge(r.dataset() + " " + f.reason(), 1L, Long::sum);
            } else {
                converted++;
                outcomes.merge(r.dataset() + " OK", 1L, Long::sum);
            }
        }
        // messy.jsonl: 16 lines, 2 blank -> 14 records; messy_array.json: 6 elements + the malformed tail.
        assertEquals(21, records.size());
        assertEquals(records.size(), converted + failed);
        Map<String, Long> expected = new TreeMap<>(Map.ofEntries(
                Map.entry("messy OK", 3L),
                Map.entry("messy MALFORMED_JSON", 2L),
                Map.entry("messy INVALID_UTF8", 1L),
                Map.entry("messy UNKNOWN_ROLE", 1L),
                Map.entry("messy ROLE_ORDER", 2L),
                Map.entry("messy MISSING_FIELD", 1L),
                Map.entry("messy WRONG_TYPE", 3L),
                Map.entry("messy EMPTY_CONVERSATION", 1L),
                Map.entry("messy_array OK", 3L),
                Map.entry("messy_array WRONG_TYPE", 2L),
                Map.entry("messy_array MISSING_FIELD", 1L),
                Map.entry("messy_array MALFORMED_JSON", 1L)));
        assertEquals(expected, outcomes);
        List<Long> messyLines = locators(
                records.stream().filter(r -> r.dataset().equals("messy")).toList());
        assertEquals(List.of(1L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 15L, 16L), messyLines);
    }
}
