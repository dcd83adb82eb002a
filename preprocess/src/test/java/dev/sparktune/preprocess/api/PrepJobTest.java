package dev.sparktune.preprocess.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.preprocess.LocalSparkTestBase;
import dev.sparktune.preprocess.PreprocessException;
import dev.sparktune.preprocess.TestPrepConfig;
import dev.sparktune.preprocess.stats.PrepStats;
import dev.sparktune.preprocess.table.DeltaTables;
import dev.sparktune.preprocess.table.PackedTable;
import dev.sparktune.testkit.ReferencePython;
import dev.sparktune.testkit.RepoPaths;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The prep job end to end on local Spark + Delta with the real Qwen3 tokenizer. */
class PrepJobTest extends LocalSparkTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path PARITY_DIR = RepoPaths.resolve("preprocess/src/test/resources/datasets/parity");
    private static final Path QWEN3 = RepoPaths.resolve("assets/tokenizers/qwen3");

    static HuggingFaceTokenizer tokenizer;

    @BeforeAll
    static void start() throws IOException {
        tokenizer =
                HuggingFaceTokenizer.newInstance(QWEN3.resolve("tokenizer.json"), Map.of("addSpecialTokens", "false"));
    }

    @AfterAll
    static void stop() {
        tokenizer.close();
    }

    private static List<Row> rows(String table) {
        return spark.read().format("delta").load(table).collectAsList();
    }

    /** One row of the packed table: the token and document columns the checks read. */
    private record PackedRow(
            int[] ids, int[] labels, int[] positions, int[] docLens, int[] docRoles, List<Long> docIds, int numTokens) {
        static PackedRow of(Row row) {
            return new PackedRow(
                    ints(row, PackedTable.INPUT_IDS),
                    ints(row, PackedTable.LABELS),
                    ints(row, PackedTable.POSITION_IDS),
                    ints(row, PackedTable.DOC_LENS),
                    ints(row, PackedTable.DOC_ROLES),
                    row.getList(row.fieldIndex(PackedTable.DOC_IDS)),
                    row.getInt(row.fieldIndex(PackedTable.NUM_TOKENS)));
        }

        private static int[] ints(Row row, String column) {
            return PackedTable.ints(row.getList(row.fieldIndex(column)));
        }
    }

    private static List<PackedRow> packedRows(String table) {
        return rows(table).stream().map(PackedRow::of).toList();
    }

    private static String decode(int[] ids) {
        return tokenizer.decode(Arrays.stream(ids).asLongStream().toArray(), false);
    }

    /** input_ids equal transformers' apply_chat_template for the committed goldens. */
    @Test
    void tokenExactParityWithTransformersGoldens() throws IOException {
        JsonNode golden =
                JSON.readTree(RepoPaths.resolve("preprocess/src/test/resources/goldens/prep_tokens_qwen3.json")
                        .toFile());
        assertParity(golden, scratch.resolve("parity-golden"));
    }

    /** The same, against transformers run now (CI runs it: the goldens cannot go stale unnoticed). */
    @Test
    void tokenExactParityWithLiveTransformers() throws IOException {
        Path out = scratch.resolve("live-golden.json");
        ReferencePython.runScript(
                "scripts/goldens/prep_tokens.py",
                List.of(PARITY_DIR.resolve("conversations.jsonl").toString(), QWEN3.toString(), out.toString()),
                Duration.ofMinutes(5));
        assertParity(JSON.readTree(out.toFile()), scratch.resolve("parity-live"));
    }

    private void assertParity(JsonNode golden, Path outputDir) {
        PrepConfig config = TestPrepConfig.of(PARITY_DIR, outputDir, "parity_sharegpt")
                .cutoffLen(4096)
                .build();
        PrepResult result = PrepJob.run(spark, config);
        assertEquals(
                golden.get("cases").size(), result.stats().acceptedDocuments(), () -> PrepJob.toJson(result.stats()));
        Map<List<Integer>, PackedRow> byIds = new HashMap<>();
        for (PackedRow row : packedRows(config.outputs().table())) {
            byIds.put(Arrays.stream(row.ids()).boxed().toList(), row);
        }
        for (JsonNode c : golden.get("cases")) {
            List<Integer> expected = new ArrayList<>();
            c.get("input_ids").forEach(id -> expected.add(id.asInt()));
            PackedRow row = byIds.get(expected);
            assertTrue(
                    row != null,
                    "no row has transformers' input_ids for line "
                            + c.get("line").asInt()
                            + ":\n" + c.get("text").asText() + "\nours:\n"
                            + byIds.keySet().stream()
                                    .map(ids -> decode(ids.stream()
                                            .mapToInt(Integer::intValue)
                                            .toArray()))
                                    .toList());
            assertTrainedSpansAreAssistantTurns(row, c.get("text").asText());
        }
    }

    /** Labels: exactly each assistant turn's content through <|im_end|>\n; nothing else. */
    private static void assertTrainedSpansAreAssistantTurns(PackedRow row, String text) {
        int[] ids = row.ids();
        int[] labels = row.labels();
        StringBuilder trained = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            if (labels[i] != -100) {
                assertEquals(ids[i], labels[i], "a label must equal its token");
                int j = i;
                while (j < ids.length && labels[j] != -100) {
                    j++;
                }
                trained.append(decode(Arrays.copyOfRange(ids, i, j))).append('|');
                i = j - 1;
            }
        }
        StringBuilder expected = new StringBuilder();
        String[] parts = text.split("<\\|im_start\\|>assistant\n", -1);
        for (int p = 1; p < parts.length; p++) {
            int end = parts[p].indexOf("<|im_end|>\n") + "<|im_end|>\n".length();
            expected.append(parts[p], 0, end).append('|');
        }
        assertEquals(expected.toString(), trained.toString());
    }

    @Test
    void everyInputRecordEndsAsADocumentOrAReasonedReject() throws IOException {
        Path dir = scratch.resolve("messy");
        Files.createDirectories(dir);
        ByteArrayOutputStream jsonl = new ByteArrayOutputStream();
        List<String> lines = List.of(
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}, {\"from\": \"gpt\", \"value\": \"hello\"}]}",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"broken\"", // MALFORMED_JSON
                "{\"something_else\": 1}", // MISSING_FIELD
                "{\"conversations\": \"not a list\"}", // WRONG_TYPE
                "{\"conversations\": []}", // EMPTY_CONVERSATION
                "{\"conversations\": [{\"from\": \"gpt\", \"value\": \"a\"}, {\"from\": \"human\", \"value\": \"b\"}]}", // ROLE_ORDER
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"FORBIDDEN word\"}, {\"from\": \"gpt\", \"value\": \"x\"}]}", // TEMPLATE_ERROR
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"" + "long ".repeat(300)
                        + "\"}, {\"from\": \"gpt\", \"value\": \"ok\"}]}", // TOO_LONG
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"fine\"}, {\"from\": \"gpt\", \"value\": \"also fine\"}]}");
        for (String line : lines) {
            jsonl.write(line.getBytes(StandardCharsets.UTF_8));
            jsonl.write('\n');
        }
        // INVALID_UTF8: a lone continuation byte inside a string
        jsonl.write("{\"conversations\": [{\"from\": \"human\", \"value\": \"bad ".getBytes(StandardCharsets.UTF_8));
        jsonl.write(new byte[] {(byte) 0x80, (byte) 0xFF});
        jsonl.write("\"}, {\"from\": \"gpt\", \"value\": \"x\"}]}\n".getBytes(StandardCharsets.UTF_8));
        Files.write(dir.resolve("messy.jsonl"), jsonl.toByteArray());
        Files.writeString(
                dir.resolve("dataset_info.json"),
                "{\"messy\": {\"file_name\": \"messy.jsonl\", \"formatting\": \"sharegpt\"}}");
        // a model dir whose chat template refuses one word: TEMPLATE_ERROR must become a reject, not a failed job
        Path model = scratch.resolve("picky-model");
        Files.createDirectories(model);
        Files.copy(QWEN3.resolve("tokenizer.json"), model.resolve("tokenizer.json"));
        JsonNode config = JSON.readTree(QWEN3.resolve("tokenizer_config.json").toFile());
        String template = "{%- for message in messages %}{%- if 'FORBIDDEN' in message.content %}"
                + "{{ raise_exception('forbidden word in turn ' ~ loop.index0) }}{%- endif %}{%- endfor %}"
                + config.get("chat_template").asText();
        ((ObjectNode) config).put("chat_template", template);
        JSON.writeValue(model.resolve("tokenizer_config.json").toFile(), config);

        PrepConfig prep = TestPrepConfig.of(dir, scratch.resolve("messy-out"), "messy")
                .modelPath(model.toString())
                .cutoffLen(128)
                .overlong(OverlongPolicy.REJECT)
                .build();
        PrepResult result = PrepJob.run(spark, prep);
        var stats = result.stats();
        assertEquals(10, stats.inputRecords(), () -> PrepJob.toJson(stats));
        assertEquals(2, stats.acceptedDocuments());
        assertEquals(8, stats.rejectedRecords());
        assertEquals(stats.inputRecords(), stats.acceptedDocuments() + stats.rejectedRecords());
        Map<String, Long> expectedReasons = new HashMap<>(Map.of(
                "MALFORMED_JSON",
                1L,
                "MISSING_FIELD",
                1L,
                "WRONG_TYPE",
                1L,
                "EMPTY_CONVERSATION",
                1L,
                "ROLE_ORDER",
                1L,
                "TEMPLATE_ERROR",
                1L,
                "TOO_LONG",
                1L,
                "INVALID_UTF8",
                1L));
        assertEquals(expectedReasons, stats.rejectsByReason());

        List<Row> rejects = rows(prep.outputs().rejectsTable());
        assertEquals(8, rejects.size());
        Set<Long> lines1Based = new HashSet<>();
        for (Row reject : rejects) {
            lines1Based.add(reject.getLong(reject.fieldIndex("locator")));
            assertTrue(reject.getString(reject.fieldIndex("file")).endsWith("messy.jsonl"));
            assertFalse(reject.getString(reject.fieldIndex("message")).isBlank());
        }
        assertEquals(Set.of(2L, 3L, 4L, 5L, 6L, 7L, 8L, 10L), lines1Based);
        Row templateReject = rejects.stream()
                .filter(r -> r.getString(r.fieldIndex("reason")).equals("TEMPLATE_ERROR"))
                .findFirst()
                .orElseThrow();
        assertTrue(
                templateReject.getString(templateReject.fieldIndex("message")).contains("forbidden word in turn 0"),
                templateReject.getString(templateReject.fieldIndex("message")));
        assertEquals(2, rows(prep.outputs().table()).size());
    }

    @Test
    void packedRowsNeverMixDocumentsAndHoldEachExactlyOnce() throws IOException {
        Path dir = scratch.resolve("alpaca");
        Files.createDirectories(dir);
        StringBuilder data = new StringBuilder("[");
        Random random = new Random(11);
        int docs = 400;
        for (int i = 0; i < docs; i++) {
            String instruction = "Repeat the number " + i + " " + (1 + random.nextInt(40)) + " times.";
            String output = (i + " ").repeat(1 + random.nextInt(60)).strip();
            data.append(i == 0 ? "" : ",")
                    .append(JSON.writeValueAsString(Map.of(
                            "instruction",
                            instruction,
                            "input",
                            random.nextBoolean() ? "" : "Separate them with spaces.",
                            "output",
                            output)));
        }
        Files.writeString(dir.resolve("alpaca.json"), data.append("]").toString());
        Files.writeString(dir.resolve("dataset_info.json"), "{\"nums\": {\"file_name\": \"alpaca.json\"}}");

        PrepConfig unpacked = TestPrepConfig.of(dir, scratch.resolve("unpacked"), "nums")
                .cutoffLen(1024)
                .build();
        PrepConfig packed = TestPrepConfig.of(dir, scratch.resolve("packed"), "nums")
                .cutoffLen(1024)
                .packing(true)
                .partitions(3)
                .build();
        PrepJob.run(spark, unpacked);
        PrepResult result = PrepJob.run(spark, packed);

        Map<Long, List<int[]>> documents = new HashMap<>(); // doc id -> {input_ids, labels} alone
        for (PackedRow row : packedRows(unpacked.outputs().table())) {
            documents.put(row.docIds().get(0), List.of(row.ids(), row.labels()));
        }
        assertEquals(docs, documents.size());
        Set<Long> seen = new HashSet<>();
        List<PackedRow> packedRows = packedRows(packed.outputs().table());
        long tokens = 0;
        for (PackedRow row : packedRows) {
            assertTrue(row.ids().length <= 1024);
            assertEquals(row.ids().length, row.numTokens());
            assertEquals(row.ids().length, Arrays.stream(row.docLens()).sum());
            int at = 0;
            for (int d = 0; d < row.docLens().length; d++) {
                long docId = row.docIds().get(d);
                int len = row.docLens()[d];
                assertTrue(seen.add(docId), "document " + docId + " appears twice");
                List<int[]> alone = documents.get(docId);
                assertArrayEquals(alone.get(0), Arrays.copyOfRange(row.ids(), at, at + len));
                assertArrayEquals(alone.get(1), Arrays.copyOfRange(row.labels(), at, at + len));
                for (int p = 0; p < len; p++) {
                    assertEquals(p, row.positions()[at + p], "positions restart at 0 for every document");
                }
                at += len;
            }
            tokens += row.ids().length;
        }
        assertEquals(documents.keySet(), seen);
        long lowerBound = (tokens + 1023) / 1024;
        // 3 partitions, but the second packing pass leaves at most one partial row per (split, dataset) group
        assertTrue(packedRows.size() <= lowerBound + 1, packedRows.size() + " rows, lower bound " + lowerBound);
        assertEquals(packedRows.size(), result.stats().totalRows());
        assertEquals(lowerBound, result.stats().lowerBoundRows());
    }

    /**
     * LLaMA-Factory's ranking datasets (sharegpt with chosen/rejected turns as in dpo_en_demo, alpaca with
     * chosen/rejected strings, OpenAI-message tags) become pairs: a chosen and a rejected document sharing the
     * prompt tokens, labels on the response only, side by side in one row, doc ids distinct; bad pairs are rejects.
     */
    @Test
    void preferencePairsBecomeTwoDocumentsSharingTheirPromptInOneRow() throws IOException {
        Path dir = Files.createDirectories(scratch.resolve("pairs-data"));
        Files.writeString(dir.resolve("dataset_info.json"), """
                {"pairs_sharegpt": {"file_name": "pairs_sharegpt.json", "formatting": "sharegpt", "ranking": true,
                  "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected"}},
                 "pairs_alpaca": {"file_name": "pairs_alpaca.jsonl", "ranking": true,
                  "columns": {"prompt": "instruction", "query": "input", "chosen": "chosen", "rejected": "rejected"}},
                 "pairs_messages": {"file_name": "pairs_messages.jsonl", "formatting": "sharegpt", "ranking": true,
                  "columns": {"messages": "messages", "chosen": "chosen", "rejected": "rejected"},
                  "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                           "assistant_tag": "assistant", "system_tag": "system"}}}""");
        Files.writeString(dir.resolve("pairs_sharegpt.json"), """
                [{"conversations": [{"from": "human", "value": "Name a prime number."}],
                  "chosen": {"from": "gpt", "value": "7 is prime."}, "rejected": {"from": "gpt", "value": "8."}},
                 {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"},
                                    {"from": "human", "value": "Is 9 odd?"}],
                  "chosen": {"from": "gpt", "value": "Yes, 9 is odd."}, "rejected": {"from": "gpt", "value": "No."}},
                 {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}],
                  "chosen": {"from": "gpt", "value": "a"}, "rejected": {"from": "gpt", "value": "b"}},
                 {"conversations": [{"from": "human", "value": "Hi"}],
                  "chosen": {"from": "human", "value": "a"}, "rejected": {"from": "gpt", "value": "b"}}]""");
        Files.writeString(dir.resolve("pairs_alpaca.jsonl"), """
                {"instruction": "Add 2 and 3.", "input": "", "chosen": "5", "rejected": "6"}
                {"instruction": "Capital of France?", "input": "One word.", "chosen": "Paris", "rejected": "Lyon"}
                {"instruction": "Say hi.", "chosen": "hi"}
                {"instruction": "Say hi.", "chosen": 3, "rejected": "no"}
                """);
        Files.writeString(dir.resolve("pairs_messages.jsonl"), """
                {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}], \
                "chosen": {"role": "assistant", "content": "4"}, "rejected": {"role": "assistant", "content": "5"}}
                """);
        Path out = scratch.resolve("pairs");
        PrepResult result = PrepJob.run(
                spark,
                TestPrepConfig.of(dir, out, "pairs_sharegpt", "pairs_alpaca", "pairs_messages")
                        .stage(Stage.DPO)
                        .cutoffLen(48)
                        .packing(true)
                        .build());

        PrepStats stats = result.stats();
        assertEquals(9, stats.inputRecords());
        assertEquals(5, stats.acceptedDocuments(), "accepted records: pairs");
        assertEquals(Map.of("ROLE_ORDER", 2L, "MISSING_FIELD", 1L, "WRONG_TYPE", 1L), stats.rejectsByReason());
        String table = out.resolve("packed").toString();
        Map<String, String> props = DeltaTables.properties(spark, table);
        assertEquals("dpo", props.get(PackedTable.PROP_STAGE));
        assertEquals("96", props.get(PackedTable.PROP_SEQ_LEN), "rows of two documents of cutoff_len each");

        int pairs = 0;
        List<String> chosenAnswers = new ArrayList<>();
        for (PackedRow row : packedRows(table)) {
            int[] lens = row.docLens();
            assertTrue(row.ids().length <= 96);
            assertEquals(0, lens.length % 2, "whole pairs only");
            int at = 0;
            for (int d = 0; d < lens.length; d += 2) {
                assertEquals(PackedTable.ROLE_CHOSEN, row.docRoles()[d]);
                assertEquals(PackedTable.ROLE_REJECTED, row.docRoles()[d + 1]);
                assertEquals(
                        PackedTable.rejectedDocId(((Number) row.docIds().get(d)).longValue()),
                        ((Number) row.docIds().get(d + 1)).longValue());
                int[] chosenIds = Arrays.copyOfRange(row.ids(), at, at + lens[d]);
                int[] chosenLabels = Arrays.copyOfRange(row.labels(), at, at + lens[d]);
                int[] rejectedIds = Arrays.copyOfRange(row.ids(), at + lens[d], at + lens[d] + lens[d + 1]);
                int[] rejectedLabels = Arrays.copyOfRange(row.labels(), at + lens[d], at + lens[d] + lens[d + 1]);
                assertTrue(lens[d] <= 48 && lens[d + 1] <= 48, "each document within cutoff_len");
                int prompt = firstSupervised(chosenLabels);
                assertEquals(prompt, firstSupervised(rejectedLabels), "the same prompt length");
                assertArrayEquals(
                        Arrays.copyOf(chosenIds, prompt), Arrays.copyOf(rejectedIds, prompt), "the same prompt tokens");
                assertTrue(
                        prompt > 0 && decode(Arrays.copyOf(chosenIds, prompt)).endsWith("assistant\n"),
                        decode(chosenIds));
                int[] trained =
                        Arrays.stream(chosenLabels).filter(l -> l != -100).toArray();
                chosenAnswers.add(decode(trained));
                at += lens[d] + lens[d + 1];
                pairs++;
            }
            assertEquals(row.ids().length, at);
        }
        assertEquals(5, pairs);
        // the response as Qwen3's template writes the last assistant turn: an empty think block, then the text
        for (String answer : List.of("7 is prime.", "Yes, 9 is odd.", "5", "Paris", "4")) {
            assertTrue(
                    chosenAnswers.contains("<think>\n\n</think>\n\n" + answer + "<|im_end|>\n"),
                    answer + " in " + chosenAnswers);
        }
        List<String> reasons = rows(out.resolve("packed_rejects").toString()).stream()
                .map(r -> r.getString(r.fieldIndex("message")))
                .toList();
        assertTrue(
                reasons.stream().anyMatch(m -> m.contains("a preference prompt must end with a user turn")),
                reasons.toString());
        assertTrue(reasons.stream().anyMatch(m -> m.contains("rejected") && m.contains("missing")), reasons.toString());
    }

    private static int firstSupervised(int[] labels) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] != -100) {
                return i;
            }
        }
        return labels.length;
    }

    @Test
    void rerunningTheSameJobCommitsNothing() {
        PrepConfig config = TestPrepConfig.of(PARITY_DIR, scratch.resolve("rerun"), "parity_sharegpt")
                .build();
        PrepResult first = PrepJob.run(spark, config);
        long rowsAfterFirst = rows(config.outputs().table()).size();
        long version = DeltaTables.version(spark, config.outputs().table());
        PrepResult second = PrepJob.run(spark, config);
        assertTrue(first.committed());
        assertFalse(second.committed());
        assertEquals(version, DeltaTables.version(spark, config.outputs().table()));
        assertEquals(rowsAfterFirst, rows(config.outputs().table()).size());
        assertEquals(first.stats(), second.stats());
        Map<String, String> properties =
                DeltaTables.properties(spark, config.outputs().table());
        assertEquals("1024", properties.get(PackedTable.PROP_SEQ_LEN));
        assertEquals(151669, Integer.parseInt(properties.get(PackedTable.PROP_VOCAB_SIZE)));
        assertEquals("151645", properties.get(PackedTable.PROP_EOS_ID));
    }

    @Test
    void relativeOutputAndModelPathsResolveAgainstTheWorkingDirectory() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Path out = Files.createTempDirectory(cwd.resolve("target"), "relative-prep");
        String relativeModel = cwd.relativize(QWEN3).toString();
        PrepConfig config = PrepConfig.builder()
                .datasets(List.of("parity_sharegpt"))
                .datasetDir(PARITY_DIR.toString())
                .modelPath(relativeModel)
                .partitions(2)
                .outputs(new PrepConfig.Outputs(
                        cwd.relativize(out.resolve("packed")).toString(),
                        cwd.relativize(out.resolve("rejects")).toString(),
                        cwd.relativize(out.resolve("stats.json")).toString()))
                .build();
        PrepResult result = PrepJob.run(spark, config);
        assertEquals(6, rows(out.resolve("packed").toString()).size());
        assertEquals(6, result.stats().acceptedDocuments());
        assertEquals(
                "file:" + QWEN3,
                DeltaTables.properties(spark, out.resolve("packed").toString()).get(PackedTable.PROP_TOKENIZER_PATH),
                "inspect must find the tokenizer from any directory");
    }

    @Test
    void goingBackToAnEarlierConfigRewritesTheTableWithThatConfigsRowsAndProperties() {
        PrepConfig a = TestPrepConfig.of(PARITY_DIR, scratch.resolve("aba"), "parity_sharegpt")
                .cutoffLen(1024)
                .build();
        PrepConfig b = TestPrepConfig.of(PARITY_DIR, scratch.resolve("aba"), "parity_sharegpt")
                .cutoffLen(64)
                .build();
        PrepJob.run(spark, a);
        List<Row> rowsOfA = rows(a.outputs().table());
        PrepResult second = PrepJob.run(spark, b);
        assertEquals("64", DeltaTables.properties(spark, b.outputs().table()).get(PackedTable.PROP_SEQ_LEN));
        PrepResult third = PrepJob.run(spark, a);
        assertTrue(second.committed() && third.committed(), "each config change is a new version");
        assertEquals("1024", DeltaTables.properties(spark, a.outputs().table()).get(PackedTable.PROP_SEQ_LEN));
        assertEquals(new HashSet<>(rowsOfA), new HashSet<>(rows(a.outputs().table())));
        assertTrue(third.tableVersion() > second.tableVersion());
    }

    @Test
    void aNamedTemplateOfAnotherModelFamilyIsRefusedBeforeAnyJobNamingItsTokens() {
        PrepConfig config = TestPrepConfig.of(PARITY_DIR, scratch.resolve("llama3-on-qwen"), "parity_sharegpt")
                .template("llama3")
                .build();
        var e = Assertions.assertThrows(PreprocessException.class, () -> PrepJob.run(spark, config));
        assertTrue(
                e.getMessage().contains("template 'llama3' writes [<|start_header_id|>, <|end_header_id|>, <|eot_id|>]")
                        && e.getMessage().contains("use template = auto"),
                e.getMessage());
        assertFalse(DeltaTables.exists(spark, config.outputs().rejectsTable()), "nothing is written");
    }

    @Test
    void inputsWithoutASingleUsableRecordFailTheJobAndKeepTheRejects() throws IOException {
        Path dir = scratch.resolve("all-bad");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("bad.jsonl"), "{\"conversations\": []}\nnot json\n");
        Files.writeString(
                dir.resolve("dataset_info.json"),
                "{\"bad\": {\"file_name\": \"bad.jsonl\", \"formatting\": \"sharegpt\"}}");
        PrepConfig config =
                TestPrepConfig.of(dir, scratch.resolve("all-bad-out"), "bad").build();
        var e = Assertions.assertThrows(PreprocessException.class, () -> PrepJob.run(spark, config));
        assertTrue(
                e.getMessage().contains("no input record became a training document")
                        && e.getMessage().contains(config.outputs().rejectsTable()),
                e.getMessage());
        assertEquals(2, rows(config.outputs().rejectsTable()).size());
        assertFalse(DeltaTables.exists(spark, config.outputs().table()), "no empty training table is committed");
    }

    @Test
    void evalSplitIsDeterministicAcrossPartitionings() {
        PrepConfig a = TestPrepConfig.of(PARITY_DIR, scratch.resolve("split-a"), "parity_sharegpt")
                .valSize(2)
                .partitions(1)
                .build();
        PrepConfig b = TestPrepConfig.of(PARITY_DIR, scratch.resolve("split-b"), "parity_sharegpt")
                .valSize(2)
                .partitions(3)
                .packing(true)
                .build();
        PrepResult ra = PrepJob.run(spark, a);
        PrepResult rb = PrepJob.run(spark, b);
        assertEquals(2, ra.stats().evalDocuments());
        assertEquals(evalDocIds(a.outputs().table()), evalDocIds(b.outputs().table()));
        assertEquals(ra.stats().evalDocuments(), rb.stats().evalDocuments());
    }

    private static Set<Long> evalDocIds(String table) {
        Set<Long> ids = new HashSet<>();
        for (Row row : rows(table)) {
            if (row.getString(row.fieldIndex(PackedTable.SPLIT)).equals(PackedTable.SPLIT_EVAL)) {
                ids.addAll(row.getList(row.fieldIndex(PackedTable.DOC_IDS)));
            }
        }
        return ids;
    }

    /**
     * A named template chooses the eos stage pt appends, as LLaMA-Factory's does: qwen3's replace_eos makes its first
     * stop word, {@code <|im_end|>}, the eos of a base tokenizer whose own is {@code <|endoftext|>} (Qwen3-Base's),
     * and the table records it as the eos (generation stops at it); {@code auto} keeps the tokenizer's.
     */
    @Test
    void aNamedTemplateChoosesTheEosPretrainingAppends() throws IOException {
        Path base = scratch.resolve("qwen3-base-tokenizer");
        Files.createDirectories(base);
        Files.copy(QWEN3.resolve("tokenizer.json"), base.resolve("tokenizer.json"));
        ObjectNode tokenizerConfig = (ObjectNode)
                JSON.readTree(QWEN3.resolve("tokenizer_config.json").toFile());
        tokenizerConfig.put("eos_token", "<|endoftext|>");
        JSON.writeValue(base.resolve("tokenizer_config.json").toFile(), tokenizerConfig);
        Path dir = scratch.resolve("pt-eos");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("text.jsonl"), JSON.writeValueAsString(Map.of("text", "short text")) + "\n");
        Files.writeString(
                dir.resolve("dataset_info.json"),
                "{\"corpus\": {\"file_name\": \"text.jsonl\", \"columns\": {\"prompt\": \"text\"}}}");
        // gemma2's slots (<start_of_turn>, ...) are not Qwen tokens, but pt writes none of them: its eos is the
        // tokenizer's
        for (String template : List.of("auto", "qwen3", "gemma2")) {
            PrepConfig config = TestPrepConfig.of(dir, scratch.resolve("pt-eos-" + template), "corpus")
                    .modelPath(base.toString())
                    .template(template)
                    .stage(Stage.PT)
                    .cutoffLen(128)
                    .build();
            PrepJob.run(spark, config);
            int[] ids = packedRows(config.outputs().table()).get(0).ids();
            String eos = template.equals("qwen3") ? "<|im_end|>" : "<|endoftext|>";
            assertEquals("short text" + eos, decode(ids), template);
            assertEquals(
                    Integer.toString(ids[ids.length - 1]),
                    DeltaTables.properties(spark, config.outputs().table()).get(PackedTable.PROP_EOS_ID),
                    template);
        }
    }

    @Test
    void pretrainingTextIsSplitAtCutoffNotTruncated() throws IOException {
        Path dir = scratch.resolve("pt");
        Files.createDirectories(dir);
        String longText = "word ".repeat(500).strip();
        Files.writeString(
                dir.resolve("text.jsonl"),
                JSON.writeValueAsString(Map.of("text", longText)) + "\n"
                        + JSON.writeValueAsString(Map.of("text", "short text")) + "\n");
        Files.writeString(
                dir.resolve("dataset_info.json"),
                "{\"corpus\": {\"file_name\": \"text.jsonl\", \"columns\": {\"prompt\": \"text\"}}}");
        PrepConfig config = TestPrepConfig.of(dir, scratch.resolve("pt-out"), "corpus")
                .stage(Stage.PT)
                .cutoffLen(128)
                .packing(true)
                .build();
        PrepResult result = PrepJob.run(spark, config);
        int expectedTokens = tokenizer.encode(longText).getIds().length
                + tokenizer.encode("short text").getIds().length
                + 2;
        assertEquals(expectedTokens, result.stats().tokens());
        long tableTokens = 0;
        for (PackedRow row : packedRows(config.outputs().table())) {
            int[] ids = row.ids();
            assertTrue(ids.length <= 128);
            assertArrayEquals(ids, row.labels(), "pre-training trains on every token");
            tableTokens += ids.length;
        }
        assertEquals(expectedTokens, tableTokens, "no token lost to truncation");
    }
}
