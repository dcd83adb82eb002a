package dev.sparktune.trainer.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.testkit.DpoMetricNames;
import dev.sparktune.dl4j.testkit.TensorAssertions;
import dev.sparktune.dl4j.testkit.TinyModels;
import dev.sparktune.preprocess.LocalSparkTestBase;
import dev.sparktune.preprocess.TestPrepConfig;
import dev.sparktune.preprocess.api.PrepJob;
import dev.sparktune.preprocess.api.Stage;
import dev.sparktune.preprocess.table.DeltaTables;
import dev.sparktune.preprocess.table.PackedTable;
import dev.sparktune.testkit.ReferencePython;
import dev.sparktune.testkit.RepoPaths;
import dev.sparktune.trainer.api.PreferenceConfig;
import dev.sparktune.trainer.api.RefLogprobsSource;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.api.TrainJob;
import dev.sparktune.trainer.api.TrainResult;
import dev.sparktune.trainer.data.PinnedSnapshot;
import dev.sparktune.trainer.eval.EvalConfig;
import dev.sparktune.trainer.eval.EvalJob;
import dev.sparktune.trainer.eval.EvalResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reference pass on real Spark and Delta: every document of a prepared demo table (train and eval splits) scored
 * by a tiny random Qwen3 with the real Qwen3 tokenizer, equal to transformers scoring each document alone
 * (scripts/goldens/ref_logprobs.py, run live), and the same whether the rows are packed or not, whether one task
 * or two score them, and whether each forward scores one row or several with a short last batch.
 */
class RefLogProbsJobTest extends LocalSparkTestBase {
    static final ObjectMapper JSON = new ObjectMapper();

    static Path model;

    @BeforeAll
    static void prepare() throws Exception {
        for (boolean packing : new boolean[] {true, false}) {
            PrepJob.run(
                    spark,
                    TestPrepConfig.of(
                                    RepoPaths.resolve("data"),
                                    scratch.resolve(packing ? "packed" : "unpacked"),
                                    "demo_alpaca")
                            .cutoffLen(128)
                            .packing(packing)
                            .maxSamples(24)
                            .valSize(0.25)
                            .build());
        }
        model = scratch.resolve("model");
        TinyModels.writeQwen3(model, 7, 0.3);
    }

    private static String table(String name) {
        return scratch.resolve(name).resolve("packed").toString();
    }

    private static RefLogProbsResult run(String table, String out, int partitions, int batchRows) {
        return RefLogProbsJob.run(
                spark,
                new RefLogProbsConfig(
                        table, -1, model.toString(), "", scratch.resolve(out).toString(), 64, partitions, batchRows));
    }

    /**
     * Prepares six preference pairs (a table of pairs, val_size 0.34) into a new version of the packed table under
     * {@code out}, or the first {@code maxSamples} of them; returns the packed table's path.
     */
    private static String preparePairs(String out, int maxSamples) throws Exception {
        Path dir = Files.createDirectories(scratch.resolve(out + "-data"));
        Files.writeString(dir.resolve("dataset_info.json"), """
                {"pairs": {"file_name": "pairs.jsonl", "ranking": true,
                  "columns": {"prompt": "instruction", "chosen": "chosen", "rejected": "rejected"}}}""");
        Files.writeString(dir.resolve("pairs.jsonl"), """
                {"instruction": "Add 2 and 3.", "chosen": "5", "rejected": "6"}
                {"instruction": "Capital of France?", "chosen": "Paris", "rejected": "Lyon"}
                {"instruction": "Is 9 odd?", "chosen": "Yes.", "rejected": "No, 9 is even."}
                {"instruction": "Add 1 and 1.", "chosen": "2", "rejected": "11"}
                {"instruction": "Capital of Italy?", "chosen": "Rome", "rejected": "Milan"}
                {"instruction": "Is 4 odd?", "chosen": "No.", "rejected": "Yes, 4 is odd."}
                """);
        PrepJob.run(
                spark,
                TestPrepConfig.of(dir, scratch.resolve(out), "pairs")
                        .stage(Stage.DPO)
                        .cutoffLen(64)
                        .packing(true)
                        .maxSamples(maxSamples)
                        .valSize(0.34)
                        .build());
        return scratch.resolve(out).resolve("packed").toString();
    }

    /** The reference pass of {@code table}'s version {@code version} (-1 = the latest) by the base model. */
    private static RefLogProbsConfig scoring(String table, long version) {
        return new RefLogProbsConfig(
                table, version, model.toString(), "", table + PreferenceConfig.REF_TABLE_SUFFIX, 64, 2, 4);
    }

    /** This test's DPO run of the base model on {@code table}: LoRA (the defaults), 2 steps at lr 1e-2. */
    private static TrainConfig dpoConfig(String table, Path output, int rowsPerDevice, int saveSteps) {
        return TrainConfig.builder()
                .modelPath(model.toString())
                .table(table)
                .outputDir(output.toString())
                .maxSteps(2)
                .perDeviceBatchRows(rowsPerDevice)
                .learningRate(1e-2)
                .saveSteps(saveSteps)
                .build();
    }

    /**
     * This test's eval of {@code table} by the base model (with {@code adapter} merged, "" for none) against
     * {@code reference}'s reference of it: the whole eval split, 4 greedy new tokens (when {@code generate}) for 2
     * prompts a step, seed 1, loss chunks of 64 tokens.
     */
    private static EvalConfig evalConfig(
            String adapter, String table, long version, boolean generate, Path output, PreferenceConfig reference) {
        return new EvalConfig(
                model.toString(),
                adapter,
                table,
                version,
                0,
                generate,
                4,
                2,
                false,
                1,
                1,
                0,
                1,
                output.toString(),
                64,
                reference.withReferenceOf(model.toString()));
    }

    /** doc_id → {ref_logp, ref_tokens} of a written table. */
    private static Map<Long, double[]> read(RefLogProbsResult r) {
        Map<Long, double[]> out = new HashMap<>();
        for (Row row : spark.read().format("delta").load(r.outputTable()).collectAsList()) {
            out.put(row.getLong(0), new double[] {row.getDouble(2), row.getInt(3)});
        }
        return out;
    }

    /**
     * A table of preference pairs on real Spark and Delta: the reference pass scores both documents of each pair of
     * both splits, preference training reads them (a fresh LoRA starts at ln 2: the reference is the base) and
     * refuses log-probs of another reference model or of another version of the table, and eval scores the eval
     * split's pairs against them (the base model is its own reference: every margin 0).
     */
    @Test
    void aTableOfPairsIsScoredDocumentByDocumentThenTrainedAgainstItsReference() throws Exception {
        String table = preparePairs("pairs", 0);
        String refTable = table + PreferenceConfig.REF_TABLE_SUFFIX;
        Map<Long, double[]> scored = read(RefLogProbsJob.run(spark, scoring(table, -1)));
        List<Row> rows = spark.read().format("delta").load(table).collectAsList();
        int documents = 0;
        for (Row row : rows) {
            for (Object id : row.getList(row.fieldIndex(PackedTable.DOC_IDS))) {
                double[] ref = scored.get(((Number) id).longValue());
                assertTrue(ref != null && ref[0] < 0 && ref[1] > 0, "doc " + id + " scored");
                documents++;
            }
        }
        assertEquals(12, documents, "a chosen and a rejected document per pair");
        assertEquals(12, scored.size());

        TrainConfig dpo = dpoConfig(table, scratch.resolve("pairs-train"), 2, 0);
        TrainResult trained = TrainJob.run(spark, dpo);
        assertEquals(Math.log(2), trained.steps().get(0).loss(), 1e-5, "a fresh LoRA is its reference: ln 2");
        assertEquals(
                DpoMetricNames.PAIR_METRICS,
                List.copyOf(trained.steps().get(0).objective().keySet()));
        JsonNode logged =
                JSON.readTree(Files.readAllLines(scratch.resolve("pairs-train").resolve("trainer_log.jsonl"))
                        .get(0));
        assertTrue(logged.has("rewards/accuracies") && logged.has("logps/rejected"), logged.toString());
        assertTrue(Files.isRegularFile(scratch.resolve("pairs-train").resolve("adapter_model.safetensors")));
        assertTrue(
                Files.isRegularFile(scratch.resolve("pairs-train").resolve("training_rewards_accuracies.png")),
                "LLaMA-Factory's dpo plots: loss and rewards/accuracies");

        EvalConfig eval = evalConfig("", table, -1, true, scratch.resolve("pairs-eval"), PreferenceConfig.defaults());
        EvalResult base = EvalJob.run(spark, eval);
        assertEquals(2, base.pairs(), "val_size 0.34 of 6 pairs");
        // the reference is this model: margins 0 up to the summation order of the tasks' thread counts
        assertEquals(0, base.preference().get("rewards/margins"), 1e-6);
        assertEquals(Math.log(2), base.preference().get("loss"), 1e-6);
        assertEquals(2, base.generated(), "the chosen responses are answered, not the rejected ones");
        EvalResult tuned = EvalJob.run(
                spark,
                eval.withModel(
                        model.toString(),
                        scratch.resolve("pairs-train").toString(),
                        scratch.resolve("pairs-eval-tuned").toString()));
        assertTrue(
                tuned.preference().get("rewards/margins") != 0
                        && tuned.preference().containsKey("rewards/accuracies"),
                tuned.preference().toString());
        JsonNode results = JSON.readTree(
                scratch.resolve("pairs-eval-tuned").resolve("eval_results.json").toFile());
        assertEquals(
                tuned.preference().get("loss"),
                results.path("eval_loss").asDouble(),
                1e-12,
                "eval_loss of a table of pairs is the preference loss, as LLaMA-Factory reports it");
        assertTrue(results.has("eval_rewards/accuracies") && results.has("eval_chosen_loss"), results.toString());

        // train.ref_logprobs = adapters_off: the reference is the model with its LoRA adapters off, scored in each
        // step; no table is pinned or read (the one named does not exist), and the run ends on the table mode's
        // adapter. Step 0's reference is the policy bit for bit (B = 0, the same forward buffers): ln 2 exactly
        PreferenceConfig defaults = PreferenceConfig.defaults();
        PreferenceConfig adaptersOff = new PreferenceConfig(
                defaults.prefLoss(),
                defaults.beta(),
                defaults.ftx(),
                defaults.labelSmoothing(),
                defaults.simpoGamma(),
                "",
                "",
                scratch.resolve("no-reference-table").toString(),
                RefLogprobsSource.ADAPTERS_OFF);
        long started = System.nanoTime();
        TrainResult onTheFly = TrainJob.run(
                spark,
                dpo.toBuilder()
                        .outputDir(scratch.resolve("pairs-adapters-off").toString())
                        .preference(adaptersOff)
                        .build());
        System.out.printf(
                "[RefLogProbsJobTest] adapters_off training: %.1f s, losses %s%n",
                (System.nanoTime() - started) / 1e9,
                onTheFly.steps().stream().map(m -> m.loss()).toList());
        assertEquals(Math.log(2), onTheFly.steps().get(0).loss(), 1e-12);
        for (int step = 0; step < trained.steps().size(); step++) {
            assertEquals(
                    trained.steps().get(step).loss(), onTheFly.steps().get(step).loss(), 1e-5, "loss at step " + step);
        }
        assertTrue(
                Math.abs(onTheFly.steps().get(1).loss() - Math.log(2)) > 1e-4,
                "the update made the policy another model than its adapters-off reference");
        double adapterDiff = TensorAssertions.maxAdapterDifference(
                scratch.resolve("pairs-train"), scratch.resolve("pairs-adapters-off"));
        System.out.printf("[RefLogProbsJobTest] adapters_off vs table adapter: max|diff| %.2e%n", adapterDiff);
        assertTrue(adapterDiff <= 1e-5, "adapters_off vs the reference table: adapters differ by " + adapterDiff);
        assertFalse(Files.exists(scratch.resolve("no-reference-table")), "no table is written or needed");
        // eval with adapters_off scores the base model's reference in its own tasks: the table's results
        EvalResult tunedOff = EvalJob.run(
                spark,
                evalConfig(
                        scratch.resolve("pairs-train").toString(),
                        table,
                        -1,
                        true,
                        scratch.resolve("pairs-eval-tuned-off"),
                        adaptersOff));
        for (Map.Entry<String, Double> metric : tuned.preference().entrySet()) {
            assertEquals(
                    metric.getValue(),
                    tunedOff.preference().get(metric.getKey()),
                    1e-6,
                    "eval " + metric.getKey() + ", adapters_off vs the reference table");
        }
        // and the reference is the base, not the evaluated adapter: a reference that were the policy would give
        // margins of 0 (measured here: -0.18)
        assertTrue(
                Math.abs(tunedOff.preference().get("rewards/margins")) > 1e-2,
                "eval adapters_off scored against the base model: " + tunedOff.preference());

        // a reference with another adapter merged in is another model: its log-probs do not fit
        TrainConfig otherReference = dpo.toBuilder()
                .outputDir(scratch.resolve("pairs-other").toString())
                .preference(new PreferenceConfig(
                        "sigmoid",
                        0.1,
                        0,
                        0,
                        0.5,
                        "",
                        scratch.resolve("pairs-train").toString(),
                        "",
                        null))
                .build();
        RefLogProbsException e = assertThrows(RefLogProbsException.class, () -> TrainJob.run(spark, otherReference));
        assertTrue(
                e.getMessage().contains(refTable)
                        && e.getMessage().contains("sparktune ref-logprobs")
                        && e.getMessage()
                                .contains("set train.ref_model / train.ref_model_adapters to the reference "
                                        + "model that scored this table version, " + model),
                e.getMessage());
        // a new version of the packed table needs a new reference pass
        spark.sql("ALTER TABLE delta.`" + DeltaTables.qualify(spark, table) + "` SET TBLPROPERTIES ('note' = 'v2')");
        e = assertThrows(
                RefLogProbsException.class,
                () -> TrainJob.run(
                        spark, dpo.toBuilder().overwriteOutputDir(true).build()));
        assertTrue(e.getMessage().contains("train.ref_logprobs_table_version = 1"), e.getMessage());
        e = assertThrows(RefLogProbsException.class, () -> EvalJob.run(spark, eval));
        assertTrue(e.getMessage().contains("train.ref_logprobs_table_version = 1"), e.getMessage());
    }

    /**
     * Prep writes a new version of a table of pairs after a run checkpointed on the old one, and ref-logprobs scores
     * the new one: resuming that checkpoint (which trains on the old version) and evaluating the old version pin the
     * older version of the reference table that scored it, newest first; ref-logprobs scores a given version on
     * request (train.ref_logprobs_table_version), and a version no reference version scored, or whose log-probs
     * were vacuumed, is refused naming the versions found.
     */
    @Test
    void aRunReadingAnOlderTableVersionPinsTheReferenceVersionThatScoredIt() throws Exception {
        String table = preparePairs("versions", 4);
        String packedPath = DeltaTables.qualify(spark, table);
        String refTable = table + PreferenceConfig.REF_TABLE_SUFFIX;
        RefLogProbsResult v0 = RefLogProbsJob.run(spark, scoring(table, -1));
        assertEquals(List.of(0L, 0L), List.of(v0.sourceVersion(), v0.version()));
        TrainConfig dpo = dpoConfig(table, scratch.resolve("versions-train"), 1, 1);
        TrainResult uninterrupted = TrainJob.run(spark, dpo);

        preparePairs("versions", 0);
        RefLogProbsResult v1 = RefLogProbsJob.run(spark, scoring(table, -1));
        assertEquals(List.of(1L, 1L), List.of(v1.sourceVersion(), v1.version()), "the new table version, scored");
        assertTrue(v1.documents() > v0.documents(), v1.documents() + " documents vs " + v0.documents());
        assertEquals(0, pin(table, 0).version(), "table version 0's log-probs: the reference table's version 0");
        assertEquals(1, pin(table, 1).version());

        // the checkpoint trains on version 0: its log-probs come from the reference table's version 0, and the
        // resumed step is the uninterrupted run's
        TrainResult resumed = TrainJob.run(
                spark,
                dpo.toBuilder()
                        .outputDir(scratch.resolve("versions-resumed").toString())
                        .resumeFromCheckpoint(scratch.resolve("versions-train")
                                .resolve("checkpoint-1")
                                .toString())
                        .build());
        assertEquals(1, resumed.firstStep());
        assertEquals(uninterrupted.steps().get(1).loss(), resumed.steps().get(0).loss(), 1e-6, "step 2's loss");
        // eval of version 0's eval split (the base model is its own reference: margins 0, loss ln 2)
        EvalConfig evalV0 =
                evalConfig("", table, 0, false, scratch.resolve("versions-eval"), PreferenceConfig.defaults());
        EvalResult evaluated = EvalJob.run(spark, evalV0);
        assertEquals(1, evaluated.pairs(), "val_size 0.34 of version 0's 4 pairs");
        assertEquals(Math.log(2), evaluated.preference().get("loss"), 1e-6);
        assertEquals(0, evaluated.preference().get("rewards/margins"), 1e-6);

        // scoring version 0 again on request makes it the latest; version 1 is still found, one version back
        RefLogProbsResult again = RefLogProbsJob.run(spark, scoring(table, 0));
        assertEquals(List.of(0L, 2L), List.of(again.sourceVersion(), again.version()));
        assertEquals(v0.documents(), again.documents());
        assertEquals("0", DeltaTables.properties(spark, refTable).get(RefLogProbsTable.PROP_SOURCE_VERSION));
        assertEquals(2, pin(table, 0).version());
        assertEquals(1, pin(table, 1).version());

        // a table version no reference version scored: the error lists them, newest first, and the key to set
        spark.sql("ALTER TABLE delta.`" + packedPath + "` SET TBLPROPERTIES ('note' = 'v2')");
        RefLogProbsException e = assertThrows(RefLogProbsException.class, () -> pin(table, 2));
        System.out.println("[RefLogProbsJobTest] no reference version for table version 2: " + e.getMessage());
        assertTrue(
                e.getMessage()
                                .contains("its versions, newest first: version 2: " + packedPath + "@0 by the same "
                                        + "reference model; version 1: " + packedPath + "@1 by the same reference "
                                        + "model; version 0: " + packedPath + "@0 by the same reference model.")
                        && e.getMessage().contains("train.ref_logprobs_table_version = 2"),
                e.getMessage());
        e = assertThrows(RefLogProbsException.class, () -> RefLogProbsJob.run(spark, scoring(table, 7)));
        System.out.println("[RefLogProbsJobTest] ref-logprobs of table version 7: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("train.ref_logprobs_table_version = 7: " + packedPath), e.getMessage());

        // vacuumed log-probs are not taken: version 1's files go, version 2's (the latest data) stay. VACUUM commits
        // versions of its own (start, end) with version 2's properties: the newest of them is pinned for version 0
        spark.conf().set("spark.databricks.delta.retentionDurationCheck.enabled", "false");
        // the file listing's tasks (10000 by default: a minute on two cores)
        spark.conf().set("spark.sql.sources.parallelPartitionDiscovery.parallelism", "2");
        try {
            spark.sql("VACUUM delta.`" + DeltaTables.qualify(spark, refTable) + "` RETAIN 0 HOURS");
        } finally {
            spark.conf().unset("spark.databricks.delta.retentionDurationCheck.enabled");
            spark.conf().unset("spark.sql.sources.parallelPartitionDiscovery.parallelism");
        }
        assertEquals(DeltaTables.version(spark, refTable), pin(table, 0).version());
        e = assertThrows(RefLogProbsException.class, () -> pin(table, 1));
        assertTrue(
                e.getMessage()
                                .contains("version 1: " + packedPath + "@1 by the same reference model, its data files "
                                        + "vacuumed; version 0: ")
                        && e.getMessage().contains("train.ref_logprobs_table_version = 1"),
                e.getMessage());
    }

    /** The reference log-probs the base model's sigmoid run pins for {@code table}'s version {@code version}. */
    private static RefLogProbs pin(String table, long version) {
        return RefLogProbs.pin(
                spark,
                table + PreferenceConfig.REF_TABLE_SUFFIX,
                PinnedSnapshot.pin(spark, table, PackedTable.SPLIT_TRAIN, version),
                model.toString(),
                "",
                "sigmoid");
    }

    @Test
    void everyDocumentScoredAsTransformersScoresItAlonePackedOrNotOnOneTaskOrTwoOneRowPerForwardOrSeveral()
            throws Exception {
        long packedRows = spark.read().format("delta").load(table("packed")).count();
        // several rows per forward, and the task's last batch short
        int batchRows = packedRows % 3 != 0 ? 3 : 4;
        assertTrue(packedRows > batchRows && packedRows % batchRows != 0, packedRows + " rows");
        RefLogProbsResult oneTask = run(table("packed"), "ref-packed-1", 1, 1);
        RefLogProbsResult twoTasks = run(table("packed"), "ref-packed-2", 2, 1);
        RefLogProbsResult batched = run(table("packed"), "ref-packed-batched", 1, batchRows);
        RefLogProbsResult unpacked = run(table("unpacked"), "ref-unpacked", 2, batchRows);
        Map<Long, double[]> a = read(oneTask);
        Map<Long, double[]> b = read(twoTasks);
        Map<Long, double[]> batchedLogps = read(batched);
        Map<Long, double[]> c = read(unpacked);

        long docs = spark.read()
                .format("delta")
                .load(table("packed"))
                .selectExpr("explode(" + PackedTable.DOC_IDS + ")")
                .count();
        assertEquals(docs, oneTask.documents(), "one row per document of both splits");
        assertEquals(docs, a.size());
        assertEquals(a.keySet(), c.keySet(), "the same documents, packed or not");
        assertEquals(a.keySet(), batchedLogps.keySet(), "the same documents, one row per forward or several");
        for (Map.Entry<Long, double[]> e : a.entrySet()) {
            // one task computes on 2 threads, two on 1 each: GEMM sums in another order
            assertEquals(
                    e.getValue()[0],
                    b.get(e.getKey())[0],
                    1e-5 * e.getValue()[1],
                    "one task or two, doc " + e.getKey());
            double[] inBatch = batchedLogps.get(e.getKey());
            assertEquals(e.getValue()[1], inBatch[1], 0.0, "supervised tokens of doc " + e.getKey() + " in a batch");
            assertEquals(
                    e.getValue()[0],
                    inBatch[0],
                    1e-5 * e.getValue()[1],
                    batchRows + " rows per forward or one, doc " + e.getKey());
            double[] alone = c.get(e.getKey());
            assertEquals(e.getValue()[1], alone[1], 0.0, "supervised tokens of doc " + e.getKey());
            assertEquals(alone[0], e.getValue()[0], 1e-4 * alone[1], "packed or not, doc " + e.getKey());
        }

        // transformers, each document alone (the unpacked table's rows are single documents)
        ArrayNode docsJson = JSON.createArrayNode();
        for (Row row : spark.read().format("delta").load(table("unpacked")).collectAsList()) {
            ObjectNode d = docsJson.addObject();
            d.put(
                    "doc_id",
                    ((Number) row.getList(row.fieldIndex(PackedTable.DOC_IDS)).get(0)).longValue());
            ArrayNode ids = d.putArray("input_ids");
            ArrayNode labels = d.putArray("labels");
            for (int id : PackedTable.ints(row.getList(row.fieldIndex(PackedTable.INPUT_IDS)))) {
                ids.add(id);
            }
            for (int label : PackedTable.ints(row.getList(row.fieldIndex(PackedTable.LABELS)))) {
                labels.add(label);
            }
        }
        Path docsFile = scratch.resolve("docs.json");
        Path expectedFile = scratch.resolve("expected.json");
        JSON.writeValue(docsFile.toFile(), docsJson);
        ReferencePython.runScript(
                "scripts/goldens/ref_logprobs.py",
                List.of(model.toString(), docsFile.toString(), expectedFile.toString()),
                Duration.ofMinutes(5));
        JsonNode expected = JSON.readTree(expectedFile.toFile());
        assertEquals(docs, expected.size());
        double worstPerToken = 0;
        for (Map<Long, double[]> scored : List.of(a, batchedLogps)) {
            for (Map.Entry<Long, double[]> e : scored.entrySet()) {
                JsonNode want = expected.get(Long.toString(e.getKey()));
                assertEquals(want.get(1).asInt(), (int) e.getValue()[1], "supervised tokens of doc " + e.getKey());
                double perToken = Math.abs(want.get(0).asDouble() - e.getValue()[0])
                        / Math.max(1, want.get(1).asInt());
                worstPerToken = Math.max(worstPerToken, perToken);
            }
        }
        System.out.printf(
                "[RefLogProbsJobTest] %d documents in %d rows; max |ours - transformers| per supervised token %.2e;"
                        + " one task %.0f tokens/s at 1 row per forward, %.0f at %d%n",
                docs, packedRows, worstPerToken, oneTask.tokensPerSecond(), batched.tokensPerSecond(), batchRows);
        assertTrue(worstPerToken <= 1e-4, "log-probs differ from transformers by " + worstPerToken + " per token");

        // the reported activation bytes are what each task's model holds
        int seqLen =
                Integer.parseInt(DeltaTables.properties(spark, table("packed")).get(PackedTable.PROP_SEQ_LEN));
        HfModelDir.Loaded loaded = HfModelDir.load(model);
        for (RefLogProbsResult r : List.of(oneTask, batched)) {
            assertEquals(
                    CausalLm.forwardOnly(loaded, r.batchRows(), seqLen, 64).activationBytes(),
                    r.activationBytesPerTask(),
                    r.batchRows() + " rows per forward");
        }
        assertEquals(batchRows, batched.batchRows());
        assertTrue(
                batched.toJson().has("activation_bytes_per_task"),
                batched.toJson().toString());

        Map<String, String> props = DeltaTables.properties(spark, oneTask.outputTable());
        assertEquals(Long.toString(oneTask.sourceVersion()), props.get(RefLogProbsTable.PROP_SOURCE_VERSION));
        assertEquals(model.toString(), props.get(RefLogProbsTable.PROP_MODEL));
        assertTrue(props.get(RefLogProbsTable.PROP_MODEL_FINGERPRINT).matches("[0-9a-f]{64}"), props.toString());
        assertTrue(Files.isDirectory(Path.of(oneTask.outputTable(), "_delta_log")));
    }
}
