package dev.sparktune.trainer.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.safetensors.SafetensorsWriter;
import dev.sparktune.dl4j.safetensors.TensorDType;
import dev.sparktune.dl4j.testkit.TensorAssertions;
import dev.sparktune.dl4j.testkit.TinyModels;
import dev.sparktune.preprocess.LocalSpark;
import dev.sparktune.preprocess.TestPrepConfig;
import dev.sparktune.preprocess.api.PrepJob;
import dev.sparktune.trainer.TrainerException;
import dev.sparktune.trainer.checkpoint.CheckpointException;
import dev.sparktune.trainer.checkpoint.CheckpointStore;
import dev.sparktune.trainer.task.HeldBytes;
import dev.sparktune.trainer.task.NonFiniteLossException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The train verb's Java API on real Spark (local[2], barrier mode), a real prepared Delta table of the demo datasets
 * and a tiny random Qwen3 model with the real Qwen3 tokenizer: LoRA on 2 ranks writes a PEFT adapter and
 * trainer_log.jsonl, gives the same adapter as 1 rank, and bad set-ups fail before any task starts.
 */
class TrainJobTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path scratch;

    static SparkSession spark;
    static String table;
    static Path model;
    static Path bf16Model;

    @BeforeAll
    static void prepare() throws Exception {
        // executors send running tasks' accumulators with each heartbeat: every second here, so that the driver's
        // progress lines show up within these few-second runs
        System.setProperty("spark.executor.heartbeatInterval", "1s");
        try {
            spark = LocalSpark.start("TrainJobTest", scratch);
        } finally {
            System.clearProperty("spark.executor.heartbeatInterval");
        }
        spark.sparkContext()
                .conf()
                .set("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s")
                .set("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", "1");
        PrepJob.run(spark, TestPrepConfig.demoAlpaca(scratch.resolve("prep")).build());
        table = scratch.resolve("prep/packed").toString();
        model = scratch.resolve("model");
        HfModelDir.Loaded m = TinyModels.writeQwen3(model, 1, 0.05);
        // the same model as the hub ships models: bf16 shards beside the same config and tokenizer
        bf16Model = scratch.resolve("model-bf16");
        Files.createDirectories(bf16Model);
        try (var files = Files.list(model)) {
            for (Path f : files.filter(f -> !f.getFileName().toString().contains("safetensors"))
                    .toList()) {
                Files.copy(f, bf16Model.resolve(f.getFileName()));
            }
        }
        SafetensorsWriter.builder()
                .dtype(TensorDType.BF16)
                .maxShardBytes(2_000_000)
                .build()
                .write(bf16Model, m.layout().views(m.params()));
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static TrainConfig.Builder lora(String out, int world) {
        return TrainConfig.builder()
                .modelPath(model.toString())
                .table(table)
                .outputDir(out)
                .finetuningType(FinetuningType.LORA)
                .lora(4, 8, 0, "all", false)
                .learningRate(5e-3)
                .perDeviceBatchRows(2)
                .globalBatchRows(4)
                .maxSteps(3)
                .loggingSteps(2)
                .worldSize(world)
                .lossChunkTokens(128);
    }

    /** Runs {@code config} on the shared session, which must fail with {@code type}; returns that failure. */
    static <E extends Throwable> E failsWith(Class<E> type, TrainConfig.Builder config) {
        return assertThrows(type, () -> TrainJob.run(spark, config.build()));
    }

    /** The run is refused for output_dir's checkpoint, in a message holding each of {@code parts}. */
    private static void assertCheckpointRefused(TrainConfig.Builder config, String... parts) {
        String message = failsWith(CheckpointException.class, config).getMessage();
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "'" + part + "' missing in: " + message);
        }
    }

    /**
     * Copies {@code fromOut}'s checkpoint of {@code step} into {@code toOut}; without its commit marker unless
     * {@code committed}, as a run killed while saving it leaves it.
     */
    static void copyCheckpoint(Path fromOut, Path toOut, int step, boolean committed) throws IOException {
        Path from = fromOut.resolve(CheckpointStore.PREFIX + step);
        Path to = Files.createDirectories(toOut.resolve(CheckpointStore.PREFIX + step));
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                if (committed || !f.getFileName().toString().contains(CheckpointStore.MARKER)) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
    }

    /** Runs {@code job} while copying what is printed to System.err into {@code copy}. */
    static <T> T teeStderr(ByteArrayOutputStream copy, Callable<T> job) throws Exception {
        PrintStream err = System.err;
        System.setErr(new PrintStream(
                new OutputStream() {
                    @Override
                    public void write(int b) {
                        err.write(b);
                        copy.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        err.write(b, off, len);
                        copy.write(b, off, len);
                    }
                },
                true));
        try {
            return job.call();
        } finally {
            System.setErr(err);
        }
    }

    /**
     * The same LoRA run on 2 ranks (shard_grad_op) and on 1 rank, with what both printed to System.err: trained once,
     * on first use, and examined by the tests below.
     */
    record LoraRuns(Path twoRanksOut, TrainResult twoRanks, Path oneRankOut, TrainResult oneRank, String stderr) {
        /** The last trainer_log.jsonl line of the 2-rank run. */
        JsonNode lastLoggedStep() throws Exception {
            return JSON.readTree(twoRanksLog().get(1));
        }

        List<String> twoRanksLog() throws Exception {
            return Files.readAllLines(twoRanksOut.resolve("trainer_log.jsonl"));
        }
    }

    private static LoraRuns loraRuns;
    private static Exception loraRunsFailure;

    static synchronized LoraRuns loraRuns() throws Exception {
        if (loraRunsFailure != null) {
            throw new IllegalStateException("the shared LoRA runs failed in an earlier test", loraRunsFailure);
        }
        if (loraRuns == null) {
            try {
                Path two = scratch.resolve("out-2");
                Path one = scratch.resolve("out-1");
                ByteArrayOutputStream stderr = new ByteArrayOutputStream();
                TrainResult r2 = teeStderr(
                        stderr,
                        () -> TrainJob.run(
                                spark,
                                lora(two.toString(), 2)
                                        .sharding(Sharding.SHARD_GRAD_OP)
                                        .build()));
                TrainResult r1 = teeStderr(
                        stderr,
                        () -> TrainJob.run(spark, lora(one.toString(), 1).build()));
                loraRuns = new LoraRuns(two, r2, one, r1, stderr.toString());
            } catch (Exception e) {
                loraRunsFailure = e;
                throw e;
            }
        }
        return loraRuns;
    }

    @Test
    void loraOnTwoRanksTakesEveryPlannedStepWithAFinitePositiveLoss() throws Exception {
        TrainResult r2 = loraRuns().twoRanks();
        assertEquals(3, r2.steps().size());
        assertTrue(
                r2.steps().stream().allMatch(s -> Double.isFinite(s.loss()) && s.loss() > 0),
                r2.steps().toString());
    }

    @Test
    void shardGradOpHoldsAboutHalfTheAdamWStateOnEachOfTwoRanks() throws Exception {
        TrainResult r2 = loraRuns().twoRanks();
        assertEquals(2, r2.heldPerRank().size());
        HeldBytes h = r2.heldPerRank().get(0);
        assertTrue(
                h.optimizerState() > 0 && h.optimizerState() < h.grads() * 2,
                "shard_grad_op: each rank holds about half the AdamW state, got " + h);
    }

    @Test
    void loraWritesAPeftAdapter() throws Exception {
        Path two = loraRuns().twoRanksOut();
        assertTrue(Files.isRegularFile(two.resolve("adapter_config.json")));
        assertTrue(Files.isRegularFile(two.resolve("adapter_model.safetensors")));
    }

    @Test
    void trainerLogHasEveryLoggingStepsStepAndTheFinalLoss() throws Exception {
        LoraRuns runs = loraRuns();
        List<String> log = runs.twoRanksLog();
        assertEquals(2, log.size(), "logging_steps 2 of 3 steps: steps 2 and 3: " + log);
        JsonNode last = runs.lastLoggedStep();
        assertEquals(3, last.get("current_steps").asInt());
        assertEquals(runs.twoRanks().finalLoss(), last.get("loss").asDouble(), 1e-12);
    }

    @Test
    void trainerLogReportsMfuUsefulMfuAndActivationBytes() throws Exception {
        JsonNode last = loraRuns().lastLoggedStep();
        // model FLOPs at the logged rate over 2 ranks' measured GEMM peak: a fraction, and not a vanishing one
        assertTrue(last.get("mfu").asDouble() > 1e-4 && last.get("mfu").asDouble() < 1, "mfu: " + last);
        // packed rows: each document attends only its own keys, so the rows needed less than the model FLOPs
        assertTrue(
                last.get("mfu_useful").asDouble() > 0
                        && last.get("mfu_useful").asDouble() < last.get("mfu").asDouble(),
                "mfu_useful: " + last);
        assertTrue(last.get("activation_bytes").asLong() > 0, "activation bytes: " + last);
    }

    @Test
    void theLossPlotAndOneTensorBoardEventFileArePublished() throws Exception {
        Path two = loraRuns().twoRanksOut();
        BufferedImage plot = ImageIO.read(two.resolve("training_loss.png").toFile());
        assertEquals(640, plot.getWidth(), "training_loss.png published");
        assertFalse(Files.exists(two.resolve("training_rewards_accuracies.png")), "a plot of pairs only for pairs");
        try (var runs = Files.list(two.resolve("runs"))) {
            List<Path> events = runs.filter(f -> !f.getFileName().toString().endsWith(".crc"))
                    .toList();
            assertTrue(
                    events.size() == 1
                            && events.get(0).getFileName().toString().startsWith("events.out.tfevents.")
                            && Files.size(events.get(0)) > 0,
                    "one TensorBoard event file in runs/: " + events);
        }
    }

    @Test
    void theDriverPrintsTrainingProgressOnStderr() throws Exception {
        // at the latest when rank 0's task ends, its accumulators reach the driver's progress line
        assertTrue(loraRuns().stderr().contains("train: step 3/3 (100%), loss "), "no driver progress line on stderr");
    }

    @Test
    void loraOnTwoRanksGivesTheLossesAndTheAdapterOfOneRank() throws Exception {
        LoraRuns runs = loraRuns();
        for (int s = 0; s < 3; s++) {
            assertEquals(
                    runs.oneRank().steps().get(s).loss(),
                    runs.twoRanks().steps().get(s).loss(),
                    1e-5,
                    "loss of step " + s);
        }
        TensorAssertions.assertAdaptersClose(runs.oneRankOut(), runs.twoRanksOut(), 1e-5, "1 rank vs 2 ranks");
    }

    @Test
    void aBf16CheckpointsFrozenBaseStaysBf16OnEveryRankAsPlanned() throws Exception {
        Path out = scratch.resolve("out-bf16");
        TrainConfig config = lora(out.toString(), 2)
                .modelPath(bf16Model.toString())
                .sharding(Sharding.FULL_SHARD)
                .build();
        TrainResult r = TrainJob.run(spark, config);
        assertTrue(
                r.steps().stream().allMatch(s -> Double.isFinite(s.loss())),
                r.steps().toString());
        ModelConfig cfg = HfConfigReader.read(bf16Model);
        HeldBytes planned =
                MemoryCheck.plan(config, cfg, DataType.BFLOAT16, 128).held(); // the table's cutoff_len
        assertEquals(planned, r.heldPerRank().get(0), "rank 0 holds what the launch planned");
        assertTrue(planned.narrowParams() > 0, "the root and the layer shards are bf16: " + planned);
        assertTrue(Files.isRegularFile(out.resolve("adapter_model.safetensors")));
    }

    @Test
    void moreRanksThanSlotsFailsAtOnceSayingWhatToChange() {
        NotEnoughSlotsException e = failsWith(
                NotEnoughSlotsException.class, lora(scratch.resolve("out-3").toString(), 3));
        assertTrue(
                e.getMessage().contains("world_size = 3 needs 3 concurrent task slots but the application has 2"),
                e.getMessage());
    }

    @Test
    void aModelWithAnotherTokenizerIsRefusedNamingTheProperty() throws Exception {
        Path other = scratch.resolve("other-model");
        Files.createDirectories(other);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer_config.json")) {
            Files.copy(model.resolve(f), other.resolve(f));
        }
        Files.writeString(
                other.resolve("tokenizer.json"),
                Files.readString(model.resolve("tokenizer.json")).replaceFirst("\"version\"", "\"version\" "));
        TrainerException e = failsWith(
                TrainerException.class,
                lora(scratch.resolve("out-x").toString(), 1).modelPath(other.toString()));
        assertTrue(e.getMessage().contains("sparktune.tokenizer.sha256"), e.getMessage());
    }

    static boolean committed(Path out, int step) {
        return Files.isRegularFile(out.resolve(CheckpointStore.PREFIX + step).resolve(CheckpointStore.MARKER));
    }

    @Test
    void aRunStoppedAfterACheckpointResumesOnAnotherWorldSizeToTheSameAdapter() throws Exception {
        Path full = scratch.resolve("ckpt-full");
        // full_shard: the frozen base split over the ranks (the demo and the local-cluster run cover shard_grad_op)
        TrainResult uninterrupted = TrainJob.run(
                spark,
                lora(full.toString(), 2)
                        .sharding(Sharding.FULL_SHARD)
                        .maxSteps(4)
                        .saveSteps(2)
                        .build());
        assertTrue(committed(full, 2) && committed(full, 4), "checkpoints after steps 2 and 4");

        // what a run killed while saving its second checkpoint leaves: checkpoint-2, and checkpoint-4 without marker
        Path stopped = scratch.resolve("ckpt-stopped");
        copyCheckpoint(full, stopped, 2, true);
        copyCheckpoint(full, stopped, 4, false);
        TrainResult resumed = TrainJob.run(
                spark,
                lora(stopped.toString(), 1)
                        .maxSteps(4)
                        .saveSteps(2)
                        .saveTotalLimit(1)
                        .build());
        assertEquals(2, resumed.firstStep(), "resumes after the committed checkpoint, not the partial one");
        assertEquals(2, resumed.steps().size());
        for (int s = 0; s < 2; s++) {
            assertEquals(
                    uninterrupted.steps().get(2 + s).loss(),
                    resumed.steps().get(s).loss(),
                    1e-5,
                    "loss of step " + (2 + s));
        }
        TensorAssertions.assertAdaptersClose(full, stopped, 1e-5, "2 ranks uninterrupted vs 1 rank resumed");
        List<String> log = Files.readAllLines(stopped.resolve("trainer_log.jsonl"));
        assertEquals(
                List.of(2, 4),
                log.stream()
                        .map(l -> {
                            try {
                                return JSON.readTree(l).get("current_steps").asInt();
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        })
                        .toList(),
                "the resumed log continues the checkpoint's");
        assertTrue(
                committed(stopped, 4) && !Files.exists(stopped.resolve(CheckpointStore.PREFIX + 2)),
                "save_total_limit 1 keeps the newest committed checkpoint only");
    }

    /** A family added after the first four: its tiny model and its projections as PEFT names them. */
    record NewFamily(String name, ModelConfig config, Set<String> projections) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<NewFamily> newFamilies() {
        return List.of(
                // fused qkv_proj / gate_up_proj adapters (one A per fused module, B split by rows)
                new NewFamily("phi3", TinyModels.phi3(), Set.of("qkv_proj", "o_proj", "gate_up_proj", "down_proj")),
                // sliding and global layers (each with its rope) under packed rows longer than the window, sandwich
                // norms, the gelu MLP
                new NewFamily(
                        "gemma3",
                        TinyModels.gemma3(),
                        Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")),
                // routed experts under packed rows; the experts are not PEFT modules: all is the attention
                new NewFamily("qwen3_moe", TinyModels.qwen3Moe(), Set.of("q_proj", "k_proj", "v_proj", "o_proj")));
    }

    /**
     * A newer family through the whole trainer: packed rows, full_shard over two ranks, a checkpoint, and a resume on
     * one rank with activation checkpointing to the same losses and adapter; lora_target all is every projection of
     * the family as PEFT names them.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("newFamilies")
    void aNewFamilysLoraUnderFullShardOnTwoRanksResumesWithCheckpointingToTheSameAdapter(NewFamily family)
            throws Exception {
        Path model = scratch.resolve("model-" + family.name());
        TinyModels.write(family.config(), model, 3, 0.05);
        Path full = scratch.resolve(family.name() + "-full");
        TrainResult uninterrupted = TrainJob.run(
                spark,
                lora(full.toString(), 2)
                        .modelPath(model.toString())
                        .sharding(Sharding.FULL_SHARD)
                        .maxSteps(4)
                        .saveSteps(2)
                        .build());
        assertTrue(uninterrupted.steps().stream().allMatch(s -> s.loss() > 0 && Double.isFinite(s.loss())));
        JsonNode adapter = JSON.readTree(full.resolve("adapter_config.json").toFile());
        assertEquals(
                family.projections(),
                Set.copyOf(JSON.convertValue(adapter.get("target_modules"), List.class)),
                "lora_target all is every " + family + " projection, as PEFT names them");

        Path resumedDir = scratch.resolve(family.name() + "-resumed");
        copyCheckpoint(full, resumedDir, 2, true);
        TrainResult resumed = TrainJob.run(
                spark,
                lora(resumedDir.toString(), 1)
                        .modelPath(model.toString())
                        .gradientCheckpointing(true)
                        .maxSteps(4)
                        .saveSteps(2)
                        .build());
        assertEquals(2, resumed.firstStep());
        for (int s = 0; s < 2; s++) {
            assertEquals(
                    uninterrupted.steps().get(2 + s).loss(),
                    resumed.steps().get(s).loss(),
                    1e-5,
                    family + ": loss of step " + (2 + s));
        }
        TensorAssertions.assertAdaptersClose(full, resumedDir, 1e-5, family + ": 2 ranks full_shard vs 1 rank resumed");
    }

    /**
     * Gemma 3 4B+ ship as Gemma3ForConditionalGeneration: its text model trains as the same weights would as a
     * Gemma3ForCausalLM (same losses), the adapter carries the names PEFT gives the whole model's modules (targets
     * listed by path, so PEFT leaves the vision tower's q/k/v alone), and a full run saves the whole checkpoint with
     * the vision tower and projector unchanged.
     */
    @Test
    void gemma3sTextModelTrainsInsideItsMultimodalCheckpoint() throws Exception {
        Path base = scratch.resolve("model-gemma3-vlm");
        TinyModels.writeGemma3Multimodal(base, 3, 0.05);
        Path textOnly = scratch.resolve("model-gemma3-text");
        TinyModels.write(TinyModels.gemma3(), textOnly, 3, 0.05);

        Path adapterOut = scratch.resolve("gemma3-vlm-lora");
        TrainResult inside = TrainJob.run(
                spark,
                lora(adapterOut.toString(), 2)
                        .modelPath(base.toString())
                        .sharding(Sharding.FULL_SHARD)
                        .maxSteps(2)
                        .build());
        TrainResult alone = TrainJob.run(
                spark,
                lora(scratch.resolve("gemma3-text-lora").toString(), 2)
                        .modelPath(textOnly.toString())
                        .sharding(Sharding.FULL_SHARD)
                        .maxSteps(2)
                        .build());
        for (int s = 0; s < 2; s++) {
            assertEquals(alone.steps().get(s).loss(), inside.steps().get(s).loss(), 1e-6, "loss of step " + s);
        }
        JsonNode targets = JSON.readTree(
                        adapterOut.resolve("adapter_config.json").toFile())
                .get("target_modules");
        assertEquals(2 * 7, targets.size(), targets.toString());
        targets.forEach(t -> assertTrue(t.asText().startsWith("model.language_model.layers."), t.asText()));
        Set<String> names = SafetensorsReader.open(adapterOut.resolve("adapter_model.safetensors"))
                .tensors()
                .keySet();
        assertTrue(
                names.contains("base_model.model.model.language_model.layers.1.mlp.down_proj.lora_B.weight"),
                names.toString());

        Path fullOut = scratch.resolve("gemma3-vlm-full");
        TrainJob.run(
                spark,
                lora(fullOut.toString(), 1)
                        .modelPath(base.toString())
                        .finetuningType(FinetuningType.FULL)
                        .learningRate(1e-3)
                        .maxSteps(1)
                        .build());
        HfModelDir.Loaded trained = HfModelDir.load(fullOut);
        assertEquals("Gemma3ForConditionalGeneration", trained.config().spec().architecture());
        assertFalse(trained.params().equals(HfModelDir.load(base).params()), "the text model was trained");
        SafetensorsReader before = SafetensorsReader.open(base);
        SafetensorsReader after = SafetensorsReader.open(fullOut);
        long others = 0;
        for (String name : before.tensors().keySet()) {
            if (!name.startsWith("language_model.")) {
                assertEquals(before.read(name), after.read(name), name);
                others++;
            }
        }
        assertTrue(others > 0, "the fixture has a vision tower");
    }

    @Test
    void aRunContinuesTheAdapterItIsGivenWithThatAdaptersSettings() throws Exception {
        Path first = scratch.resolve("continue-first");
        TrainJob.run(spark, lora(first.toString(), 1).maxSteps(2).build()); // r 4, alpha 8
        double trainedB = 0;
        SafetensorsReader trained = SafetensorsReader.open(first.resolve("adapter_model.safetensors"));
        for (String name : trained.tensors().keySet()) {
            if (name.contains("lora_B")) {
                trainedB = Math.max(trainedB, trained.read(name).amaxNumber().doubleValue());
            }
        }
        assertTrue(trainedB > 1e-3, "new adapters start with lora_B = 0; these were trained: " + trainedB);

        // lr 1e-9: two AdamW steps move a weight by ~2e-9, so the output must be the adapter it started from
        Path second = scratch.resolve("continue-second");
        TrainJob.run(
                spark,
                lora(second.toString(), 2)
                        .lora(8, 32, 0.1, "q_proj", false)
                        .learningRate(1e-9)
                        .adapterNameOrPath(first.toString())
                        .saveSteps(1)
                        .build());
        double diff = TensorAssertions.maxAdapterDifference(first, second);
        assertTrue(diff < 1e-6, "the run started from the adapter's weights: differs by " + diff);
        JsonNode cfg = JSON.readTree(second.resolve("adapter_config.json").toFile());
        assertEquals(4, cfg.get("r").asInt(), "the adapter's rank, not train.lora_rank");
        assertEquals(8.0, cfg.get("lora_alpha").asDouble());
        assertEquals(7, cfg.get("target_modules").size(), "the adapter's targets: all linear layers");

        // its checkpoints continue that adapter only
        assertCheckpointRefused(lora(second.toString(), 1).maxSteps(4), "adapter_name_or_path");
        TrainerException missing = failsWith(
                TrainerException.class,
                lora(scratch.resolve("continue-x").toString(), 1).adapterNameOrPath(model.toString()));
        assertTrue(missing.getMessage().contains("has no adapter_config.json"), missing.getMessage());
    }

    @Test
    void aCheckpointOfAnotherRunIsRefusedBeforeAnyTaskStarts() {
        Path out = scratch.resolve("ckpt-other");
        // global_batch_rows 0: per-device rows x ranks, so that the world size changes the global batch
        IntFunction<TrainConfig.Builder> run =
                world -> lora(out.toString(), world).globalBatchRows(0);
        TrainJob.run(spark, run.apply(1).maxSteps(2).saveSteps(2).build());
        assertCheckpointRefused(
                run.apply(2).maxSteps(4).saveSteps(2),
                "global batch rows: 2 in the checkpoint, 4 now",
                "set train.global_batch_rows = 2");
        assertCheckpointRefused(
                run.apply(1).maxSteps(4).seed(7), "seed: 42 in the checkpoint, 7 now", "overwrite_output_dir");

        TrainResult fresh = TrainJob.run(
                spark,
                run.apply(1)
                        .maxSteps(2)
                        .seed(7)
                        .saveSteps(2)
                        .overwriteOutputDir(true)
                        .build());
        assertEquals(0, fresh.firstStep(), "overwrite_output_dir ignores the old checkpoint");
        assertCheckpointRefused(run.apply(1).maxSteps(1).seed(7), "is 2 steps in, but this run plans 1 steps");
    }

    @Test
    void fullShardCheckpointResumesAsNoShardOnOneRankToTheSameModel() throws Exception {
        Path sharded = scratch.resolve("full-shard");
        TrainConfig.Builder full = lora(sharded.toString(), 2)
                .finetuningType(FinetuningType.FULL)
                .learningRate(1e-3)
                .maxSteps(4)
                .saveSteps(2);
        TrainResult uninterrupted =
                TrainJob.run(spark, full.sharding(Sharding.FULL_SHARD).build());
        HeldBytes h = uninterrupted.heldPerRank().get(1);
        assertTrue(
                h.params() < uninterrupted.heldPerRank().get(0).params() + 1 && h.optimizerState() < 2 * h.params(),
                "full_shard holds shards: " + uninterrupted.heldPerRank());

        Path resumedDir = scratch.resolve("full-shard-resumed");
        copyCheckpoint(sharded, resumedDir, 2, true);
        TrainResult resumed = TrainJob.run(
                spark,
                full.outputDir(resumedDir.toString())
                        .worldSize(1)
                        .sharding(Sharding.NO_SHARD)
                        .build());
        assertEquals(2, resumed.firstStep());
        TensorAssertions.assertModelsClose(
                sharded, resumedDir, 1e-5, "full_shard on 2 ranks vs resumed as no_shard on 1");
    }

    /** LoRA on 2 ranks at lr 1e30 with no clipping: the loss overflows within its six steps. */
    static TrainConfig.Builder diverging(Path out, int loggingSteps) {
        return lora(out.toString(), 2)
                .learningRate(1e30)
                .maxGradNorm(0)
                .maxSteps(6)
                .loggingSteps(loggingSteps);
    }

    @Test
    void aDivergingRunStopsWithTheStepNamedAndNoSparkRetry() {
        Path out = scratch.resolve("diverging");
        // the typed exception reaches the caller only if no task failed (a failed task would come as SparkException)
        NonFiniteLossException e = failsWith(NonFiniteLossException.class, diverging(out, 1));
        NonFiniteLossException unlogged =
                failsWith(NonFiniteLossException.class, diverging(scratch.resolve("diverging-unlogged"), 100));
        assertTrue(unlogged.getMessage().contains("(not finite)"), "no log line yet: still the typed error");
        assertTrue(e.getMessage().contains("(not finite)") && e.step() > 0, e.getMessage());
        assertTrue(Files.isRegularFile(out.resolve("trainer_log.stopped.jsonl")), "rank 0's log of the good steps");
        assertTrue(!Files.exists(out.resolve("trainer_log.jsonl")), "no trainer_log.jsonl: it vouches for a model");
        assertTrue(!Files.exists(out.resolve("adapter_model.safetensors")), "no model from a diverged run");
    }
}
