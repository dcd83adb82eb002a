package dev.sparktune.pipeline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.pipeline.config.ConfigException;
import dev.sparktune.pipeline.config.ConfigProblem;
import dev.sparktune.pipeline.config.ConfigSources;
import dev.sparktune.pipeline.config.SparkTuneConfig;
import dev.sparktune.pipeline.config.Verb;
import dev.sparktune.preprocess.api.SparkTuneVersion;
import dev.sparktune.testkit.CliArgs;
import dev.sparktune.testkit.RepoPaths;
import dev.sparktune.trainer.api.NotEnoughSlotsException;
import dev.sparktune.trainer.checkpoint.CheckpointException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

class SparkTuneCliTest {
    @TempDir
    Path dir;

    /** One CLI run: exit status and what it printed. */
    private record Run(int status, String out, String err) {
        @Override
        public String toString() {
            return "status " + status + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = SparkTuneCli.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int status = commandLine.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    private static void assertNoStackTrace(Run run) {
        assertFalse(run.err().contains("\tat ") || run.err().contains("Exception"), "no stack trace: " + run);
    }

    @Test
    void helpOfEveryCommandListsEveryOption() {
        List<CommandSpec> specs = new ArrayList<>();
        CommandLine root = SparkTuneCli.newCommandLine();
        specs.add(root.getCommandSpec());
        root.getSubcommands().values().forEach(sub -> specs.add(sub.getCommandSpec()));
        assertEquals(
                List.of("run", "prep", "train", "export", "eval", "ref-logprobs", "inspect", "init-model"),
                List.copyOf(root.getSubcommands().keySet()));
        for (CommandSpec spec : specs) {
            String[] args = spec.commandLine() == root ? new String[] {"--help"} : new String[] {spec.name(), "--help"};
            Run help = run(args);
            assertEquals(0, help.status(), help.toString());
            for (OptionSpec option : spec.options()) {
                for (String name : option.names()) {
                    assertTrue(help.out().contains(name), spec.name() + " --help lacks " + name + ":\n" + help.out());
                }
            }
            for (String sub : spec.subcommands().keySet()) {
                assertTrue(help.out().contains(sub), "lists command " + sub + ":\n" + help.out());
            }
        }
        String prepHelp = run("prep", "--help").out();
        for (String option : List.of("-c", "--config", "--set", "--dry-run", "--help")) {
            assertTrue(prepHelp.contains(option), option + " in\n" + prepHelp);
        }
    }

    @Test
    void versionAndUsageErrors() {
        Run version = run("--version");
        assertEquals(0, version.status(), version.toString());
        String release = SparkTuneVersion.VERSION;
        assertTrue(version.out().startsWith("sparktune " + release + "\n"), version.toString());
        assertTrue(version.out().contains("Spark 4."), version.toString());

        Run noCommand = run();
        assertEquals(2, noCommand.status(), noCommand.toString());
        assertTrue(noCommand.err().contains("Missing command"), noCommand.toString());

        Run unknownOption = run("prep", "--no-such-option");
        assertEquals(2, unknownOption.status(), unknownOption.toString());
        assertTrue(unknownOption.err().contains("--no-such-option"), unknownOption.toString());
        assertNoStackTrace(unknownOption);

        Run unknownCommand = run("frobnicate");
        assertEquals(2, unknownCommand.status(), unknownCommand.toString());
    }

    /** A model dir under models/ holding only a tokenizer.json: enough for prep's and inspect's checks. */
    private Path modelWithTokenizer(String name) throws IOException {
        Path model = Files.createDirectories(dir.resolve("models").resolve(name));
        Files.writeString(model.resolve("tokenizer.json"), "{}");
        return model;
    }

    /** A model dir with a tokenizer.json and the Qwen3 golden's config.json: what train's dry run reads of a model. */
    private Path qwen3Model(String name) throws IOException {
        Path model = modelWithTokenizer(name);
        Files.copy(
                RepoPaths.resolve("dl4j-ext/src/test/resources/goldens/hf/qwen3/config.json"),
                model.resolve("config.json"));
        return model;
    }

    /** A folder with an empty _delta_log: what a dry run takes for a packed table. */
    private Path deltaTable(String name) throws IOException {
        return Files.createDirectories(dir.resolve(name).resolve("_delta_log")).getParent();
    }

    /** {@code verb --dry-run} on {@code model}, with a --set of each of {@code settings} after the model's. */
    private static String[] dryRun(String verb, Path model, String... settings) {
        return CliArgs.withSettings(List.of(verb, "--dry-run", "--set", "model.model_name_or_path=" + model), settings);
    }

    /**
     * {@code train --dry-run} of {@code model} on {@code table}, its output (were it not dry) in the folder
     * {@code output} under the test's dir, with a --set of each of {@code settings} after those.
     */
    private String[] trainDryRun(Path model, Path table, String output, String... settings) {
        List<String> all =
                new ArrayList<>(List.of("prep.output_table=" + table, "train.output_dir=" + dir.resolve(output)));
        all.addAll(List.of(settings));
        return dryRun("train", model, all.toArray(String[]::new));
    }

    /** {@code prep --dry-run} on the config file {@code job}, with a --set of each of {@code settings}. */
    private static String[] prepDryRun(Path job, String... settings) {
        return CliArgs.withSettings(List.of("prep", "-c", job.toString(), "--dry-run"), settings);
    }

    /** A model dir with tokenizer.json, a dataset dir with dataset_info.json, and a job config pointing at them. */
    private Path goodJob() throws IOException {
        Path model = modelWithTokenizer("tiny");
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("dataset_info.json"), "{\"demo\": {\"file_name\": \"demo.json\"}}");
        Files.writeString(data.resolve("demo.json"), "[]");
        Files.writeString(data.resolve("extra.jsonl"), "");
        return Files.writeString(dir.resolve("job.conf"), """
                sparktune {
                  model.model_name_or_path = "%s"
                  data { dataset = [demo, extra.jsonl], dataset_dir = "%s" }
                  prep.output_table = "%s"
                  spark.conf { "spark.hadoop.fs.s3a.secret.key" = hunter2 }
                }
                """.formatted(model, data, dir.resolve("out/table")));
    }

    @Test
    void dryRunOnAGoodConfigPrintsTheResolvedConfigAndStartsNoSpark() throws IOException {
        Run run = run("prep", "-c", goodJob().toString(), "--set", "data.cutoff_len=1024", "--dry-run");
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().contains("cutoff_len = 1024\n"), run.toString());
        assertTrue(run.out().contains("rejects_table = \"" + dir.resolve("out/table") + "_rejects\""), run.toString());
        assertTrue(run.out().startsWith("sparktune {\n") && run.out().endsWith("}\n"), "only the config: " + run);
        assertFalse(run.out().contains("hunter2"), run.toString());
        assertTrue(run.err().contains("found dataset demo: "), run.toString());
        assertTrue(run.err().contains("found dataset extra.jsonl: "), run.toString());
        assertTrue(run.err().contains("Spark not started"), run.toString());
        assertTrue(
                run.err()
                        .matches(
                                "(?s).*prep config hash \\(the table's sparktune.prep_config_hash\\): [0-9a-f]{64}\n.*"),
                run.toString());
        assertFalse(Files.exists(dir.resolve("out")), "a dry run writes nothing");
    }

    @Test
    void theConfigFileMayBeAUriReadThroughHadoop() throws IOException {
        // a Hadoop URI (s3a:// in the e2e dry-run test); file: goes through the same parsing
        Run run = run("prep", "-c", goodJob().toUri().toString(), "--dry-run");
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.err().contains("Spark not started"), run.toString());

        run = run("prep", "-c", "nosuchfs://bucket/jobs/job.conf", "--dry-run");
        assertEquals(2, run.status(), run.toString());
        assertTrue(
                run.err().contains("nosuchfs://bucket/jobs/job.conf: cannot read the config file: "), run.toString());
        assertTrue(run.err().contains("read with the spark.hadoop.* settings given to spark-submit"), run.toString());
        assertNoStackTrace(run);
    }

    @Test
    void dryRunOnABadConfigReportsEveryProblemWithExitStatus2() throws IOException {
        Run run = run(prepDryRun(goodJob(), "data.cutof_len=1024", "data.stage=ppo", "data.val_size=7.5"));
        assertEquals(2, run.status(), run.toString());
        assertTrue(run.err().startsWith("Invalid configuration (3 problems):"), run.toString());
        assertTrue(
                run.err().contains("sparktune.data.cutof_len: unknown key; did you mean sparktune.data.cutoff_len?"),
                run.toString());
        assertTrue(
                run.err().contains("sparktune.data.stage: invalid value \"ppo\"; allowed: sft, pt, dpo"),
                run.toString());
        assertTrue(run.err().contains("sparktune.data.val_size: invalid value 7.5"), run.toString());
        assertEquals("", run.out(), run.toString());
        assertNoStackTrace(run);
    }

    @Test
    void dryRunReportsMissingInputs() throws IOException {
        Path job = goodJob();
        Run run = run(
                prepDryRun(job, "model.model_name_or_path=" + dir.resolve("data"), "data.dataset=demo, nowhere.jsonl"));
        assertEquals(2, run.status(), run.toString());
        assertTrue(run.err().contains("sparktune.model.model_name_or_path: no tokenizer.json in"), run.toString());
        assertTrue(
                run.err()
                        .contains("sparktune.data.dataset: dataset 'nowhere.jsonl' is not defined: it is not a "
                                + "key of "),
                run.toString());
        assertTrue(run.err().startsWith("Invalid configuration (2 problems):"), run.toString());
        assertNoStackTrace(run);
    }

    @Test
    void aRelativeDatasetPathIsLookedUpUnderDatasetDirAsTheJobDoesNotInTheWorkingDirectory() throws IOException {
        // The file exists relative to the working directory but not under dataset_dir: prep would fail on it after
        // Spark started, so the preflight must refuse it rather than report it found.
        Path job = goodJob();
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere")).resolve("chat.jsonl");
        Files.writeString(elsewhere, "{\"instruction\": \"hi\", \"output\": \"hello\"}\n");
        Path workingDir = Path.of("").toAbsolutePath();
        String relative = workingDir.relativize(elsewhere).toString();
        // a dataset_dir deeper than the working directory, so that the "../" of the relative path cannot climb
        // from it to the file too
        Path datasetDir = dir.resolve("data");
        for (int i = 0; i < workingDir.getNameCount(); i++) {
            datasetDir = datasetDir.resolve("d");
        }
        Files.createDirectories(datasetDir);
        assertTrue(Files.exists(Path.of(relative)) && !Files.exists(datasetDir.resolve(relative)), relative);

        Run run = run(
                prepDryRun(job, "data.dataset=\"" + relative + "\"", "data.dataset_dir=" + CliArgs.quoted(datasetDir)));
        assertEquals(2, run.status(), run.toString());
        assertTrue(
                run.err().contains("sparktune.data.dataset: dataset '" + relative + "' is not defined"),
                run.toString());
        assertNoStackTrace(run);
    }

    @Test
    void dryRunRefusesDatasetsThePrepJobWouldRefuse() throws IOException {
        Path job = goodJob();
        Run listedTwice = run("prep", "-c", job.toString(), "--dry-run", "--set", "data.dataset=[demo, demo]");
        assertEquals(2, listedTwice.status(), listedTwice.toString());
        assertTrue(
                listedTwice
                        .err()
                        .contains("sparktune.data.dataset: dataset 'demo': name is listed twice in " + "data.dataset"),
                listedTwice.toString());
        assertNoStackTrace(listedTwice);

        Files.writeString(dir.resolve("data/dataset_info.json"), "[\"not an object\"]");
        Run badInfo = run("prep", "-c", job.toString(), "--dry-run");
        assertEquals(2, badInfo.status(), badInfo.toString());
        assertTrue(badInfo.err().startsWith("Invalid configuration (1 problem"), badInfo.toString());
        assertTrue(badInfo.err().contains("sparktune.data.dataset_dir: "), badInfo.toString());
        assertNoStackTrace(badInfo);
    }

    @Test
    void llamaFactoryYamlWarningsGoToStderr() throws IOException {
        goodJob();
        Path yaml = Files.writeString(dir.resolve("sft.yaml"), """
                model_name_or_path: %s
                dataset: demo
                dataset_dir: %s
                tokenized_path: %s
                bf16: true
                """.formatted(
                        dir.resolve("models/tiny"), dir.resolve("data"), dir.resolve("out/t")));
        Run run = run("prep", "--config", yaml.toString(), "--dry-run");
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.err().contains("warning: sft.yaml: ignored"), run.toString());
        assertTrue(run.err().contains("bf16"), run.toString());
    }

    @Test
    void inspectDryRunNeedsNoPrepKeysAndChecksTheTable() throws IOException {
        Path table = deltaTable("packed");
        Run good = run("inspect", table.toString(), "--rows", "2", "--dry-run", "--set", "spark.master=local[1]");
        assertEquals(0, good.status(), good.toString());
        assertTrue(good.out().contains("master = \"local[1]\""), good.toString());
        assertTrue(good.err().contains("found table: " + table), good.toString());

        Run missing = run("inspect", dir.resolve("nothing").toString(), "--dry-run", "--model", dir.toString());
        assertEquals(2, missing.status(), missing.toString());
        assertTrue(
                missing.err().contains("TABLE: '" + dir.resolve("nothing") + "' is not a Delta table"),
                missing.toString());
        assertTrue(missing.err().contains("--model: no tokenizer.json in"), missing.toString());
        assertNoStackTrace(missing);

        Run negative = run("inspect", table.toString(), "--rows", "-1");
        assertEquals(2, negative.status(), negative.toString());
        assertTrue(negative.err().contains("--rows: must be >= 0"), negative.toString());

        Run noTable = run("inspect");
        assertEquals(2, noTable.status(), noTable.toString());
        assertTrue(noTable.err().contains("TABLE"), noTable.toString());
    }

    @Test
    void trainDryRunChecksTheModelTableAndCheckpoint() throws IOException {
        Path model = qwen3Model("tiny");
        Path table = deltaTable("packed");
        Run good = run(trainDryRun(model, table, "run", "train.world_size=2", "train.fsdp=shard_grad_op"));
        assertEquals(0, good.status(), good.toString());
        assertTrue(
                good.out().contains("world_size = 2") && good.out().contains("table = \"" + table + "\""),
                good.toString());
        assertTrue(good.err().contains("found table: " + table), good.toString());
        // the memory plan of each rank, checked against what the same settings allow
        assertTrue(
                good.err()
                        .contains("memory plan per rank (2 ranks, fsdp shard_grad_op, lora, "
                                + "gradient_checkpointing on"),
                good.toString());
        assertTrue(good.err().contains("budget per rank:") && good.err().contains("memory: fits"), good.toString());
        assertFalse(Files.exists(dir.resolve("run")), "a dry run writes nothing");

        Files.writeString(model.resolve("config.json"), "{}");
        Run unreadable = run(trainDryRun(model, table, "run"));
        assertEquals(2, unreadable.status(), unreadable.toString());
        assertTrue(
                unreadable.err().contains("config.json") && unreadable.err().contains("architectures"),
                unreadable.toString());
        assertNoStackTrace(unreadable);

        Files.delete(model.resolve("config.json"));
        Run bad = run(dryRun(
                "train",
                model,
                "train.table=" + dir.resolve("nothing"),
                "train.output_dir=" + dir.resolve("run"),
                "train.resume_from_checkpoint=" + dir.resolve("run/checkpoint-3")));
        assertEquals(2, bad.status(), bad.toString());
        assertTrue(bad.err().startsWith("Invalid configuration (3 problems):"), bad.toString());
        assertTrue(bad.err().contains("no config.json in"), bad.toString());
        assertTrue(
                bad.err().contains("sparktune.train.table: '" + dir.resolve("nothing") + "' is not a Delta table"),
                bad.toString());
        assertTrue(bad.err().contains("is not a committed checkpoint (no COMMITTED marker)"), bad.toString());
        assertNoStackTrace(bad);
    }

    @Test
    void refLogProbsDryRunChecksTheReferenceModelItsAdapterAndTheTable() throws IOException {
        Path model = qwen3Model("tiny");
        Path table = deltaTable("packed");
        Run good = run(dryRun("ref-logprobs", model, "prep.output_table=" + table));
        assertEquals(0, good.status(), good.toString());
        assertTrue(good.out().contains("ref_logprobs_table = \"\""), good.toString());
        assertEquals(
                table + "_ref_logprobs",
                SparkTuneConfig.load(
                                ConfigSources.of(
                                        (String) null,
                                        List.of("model.model_name_or_path=" + model, "prep.output_table=" + table)),
                                Verb.REF_LOGPROBS)
                        .refLogProbs()
                        .outputTable(),
                "\"\": beside the packed table");
        assertTrue(good.err().contains("found table: " + table), good.toString());

        Run bad = run(dryRun(
                "ref-logprobs",
                model,
                "prep.output_table=" + table,
                "train.ref_model=" + dir.resolve("nothing"),
                "train.ref_model_adapters=" + model));
        assertEquals(2, bad.status(), bad.toString());
        assertTrue(
                bad.err().contains("sparktune.train.ref_model: '" + dir.resolve("nothing") + "' does not exist")
                        && bad.err().contains("sparktune.train.ref_model_adapters: no adapter_config.json"),
                bad.toString());
        assertNoStackTrace(bad);
    }

    @Test
    void aTrainingRunThatCannotFitIsRefusedNamingThePlanTheBudgetAndTheFixes() throws IOException {
        // Qwen3-4B's shape, full fine-tuning on one rank without checkpointing: ~80 GB for weights, gradients and
        // AdamW alone; only config.json is read
        Path model = modelWithTokenizer("qwen3-4b-shape");
        Files.writeString(model.resolve("config.json"), """
                {"architectures": ["Qwen3ForCausalLM"], "vocab_size": 151936, "hidden_size": 2560,
                 "intermediate_size": 9728, "num_hidden_layers": 36, "num_attention_heads": 32,
                 "num_key_value_heads": 8, "head_dim": 128, "tie_word_embeddings": true,
                 "max_position_embeddings": 40960}""");
        Path table = deltaTable("packed-4b");
        Run refused = run(trainDryRun(
                model,
                table,
                "run-4b",
                "train.finetuning_type=full",
                "train.gradient_checkpointing=false",
                "data.cutoff_len=2048"));
        assertEquals(2, refused.status(), refused.toString());
        String err = refused.err();
        assertTrue(err.contains("train: each rank needs") && err.contains("but may allocate"), err);
        assertTrue(err.contains("parameters") && err.contains("optimizer") && err.contains("activations"), err);
        assertTrue(err.contains("budget per rank:") && err.contains("local mode"), err);
        assertTrue(
                err.contains("what one change gives")
                        && err.contains("train.gradient_checkpointing = true")
                        && err.contains("train.world_size = 2 with fsdp = full_shard"),
                err);
        assertNoStackTrace(refused);
        assertFalse(Files.exists(dir.resolve("run-4b")), "nothing was written");
    }

    /**
     * Spark fails a barrier stage under dynamic allocation only once it is submitted, and local mode assigns tasks no
     * GPU: the dry run refuses both, naming the settings.
     */
    @Test
    void trainDryRunRefusesWhatTheBarrierStageCouldNotGet() throws IOException {
        Path model = qwen3Model("tiny-dynamic");
        Path table = deltaTable("packed-dynamic");
        Run refused = run(trainDryRun(
                model,
                table,
                "run-dynamic",
                "spark.master=yarn",
                "spark.conf.\"spark.dynamicAllocation.enabled\"=true",
                "train.world_size=2"));
        assertEquals(2, refused.status(), refused.toString());
        assertTrue(
                refused.err()
                        .contains("spark.dynamicAllocation.enabled = true: training runs its 2 ranks as one barrier"),
                refused.toString());
        assertNoStackTrace(refused);

        Run noGpu = run(trainDryRun(model, table, "run-gpu", "spark.master=\"local[2]\"", "train.device=gpu"));
        assertEquals(2, noGpu.status(), noGpu.toString());
        assertTrue(noGpu.err().contains("train.device = gpu: local mode (local[2]) assigns no GPU"), noGpu.toString());
        assertNoStackTrace(noGpu);

        // a run whose init_model stage creates the model has no memory plan yet, and is refused all the same
        List<String> runArgs = new ArrayList<>(List.of(runStages(
                "[init_model, train]",
                dir.resolve("model-gpu"),
                "train.table=" + CliArgs.quoted(table),
                "train.device=gpu")));
        runArgs.add("--dry-run");
        Run runNoGpu = run(runArgs.toArray(String[]::new));
        assertEquals(2, runNoGpu.status(), runNoGpu.toString());
        assertTrue(
                runNoGpu.err().contains("train.device = gpu: local mode (local[1]) assigns no GPU"),
                runNoGpu.toString());
    }

    @Test
    void trainDryRunChecksTheFreezeSelectionAgainstTheModel() throws IOException {
        Path model = qwen3Model("qwen3-freeze");
        Path table = deltaTable("packed-freeze");
        String[] args = trainDryRun(
                model, table, "run-freeze", "train.finetuning_type=freeze", "train.freeze_trainable_layers=1");
        Run good = run(args);
        assertEquals(0, good.status(), good.toString());
        assertTrue(good.err().contains("found freeze: 11 of"), "the last of 2 Qwen3 layers: " + good);

        Run wrong = run(CliArgs.withSettings(
                List.of(args), "train.freeze_trainable_modules=attention", "train.freeze_extra_modules=lm_head"));
        assertEquals(2, wrong.status(), wrong.toString());
        assertTrue(
                wrong.err()
                        .contains("sparktune.train.freeze_trainable_modules: freeze_trainable_modules: "
                                + "\"attention\" is not a module of this model's decoder layers; choose from"),
                wrong.toString());
        assertNoStackTrace(wrong);
    }

    @Test
    void initModelWritesAnHfDirectoryTheTrainerLoads() throws IOException {
        Path out = dir.resolve("tiny");
        Run run = run(CliArgs.initTinyQwen3(out).toArray(String[]::new));
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().startsWith("init-model: Qwen3ForCausalLM with "), run.toString());
        HfModelDir.Loaded loaded = HfModelDir.load(out);
        assertEquals(151669, loaded.config().vocabSize(), "the Qwen3 tokenizer's vocabulary");
        assertEquals(16, loaded.config().hiddenSize());
        assertTrue(
                Files.isRegularFile(out.resolve("tokenizer.json"))
                        && Files.isRegularFile(out.resolve("tokenizer_config.json")),
                "tokenizer files copied");

        Run bad = run(
                "init-model",
                "--arch",
                "GPT2LMHeadModel",
                "--out",
                dir.resolve("x").toString(),
                "--tokenizer",
                RepoPaths.resolve("assets/tokenizers/qwen3").toString());
        assertEquals(2, bad.status(), bad.toString());
        assertTrue(
                bad.err().contains("cannot build the model config") && bad.err().contains("GPT2LMHeadModel"),
                bad.toString());
        assertNoStackTrace(bad);
    }

    @Test
    void initModelSizesDefaultToReferenceConfsInitModelSection() {
        // what a run's init_model stage makes when a config sets only the architecture and tokenizer
        Config stage = ConfigFactory.parseResources("reference.conf").getConfig("sparktune.init_model");
        Path out = dir.resolve("defaults");
        Run run = run(CliArgs.initQwen3(out).toArray(String[]::new));
        assertEquals(0, run.status(), run.toString());
        ModelConfig made = HfModelDir.load(out).config();
        assertEquals(
                List.of(
                        stage.getInt("hidden_size"),
                        stage.getInt("intermediate_size"),
                        stage.getInt("num_hidden_layers"),
                        stage.getInt("num_attention_heads"),
                        stage.getInt("num_key_value_heads")),
                List.of(
                        made.hiddenSize(),
                        made.intermediateSize(),
                        made.numLayers(),
                        made.numHeads(),
                        made.numKvHeads()));

        // the seed and std leave no trace in the directory: the values the options take
        CommandSpec spec = SparkTuneCli.newCommandLine()
                .parseArgs("init-model", "--arch", "Qwen3ForCausalLM", "--out", "x", "--tokenizer", "y")
                .subcommand()
                .commandSpec();
        assertEquals(stage.getLong("seed"), (long) spec.findOption("--seed").getValue());
        assertEquals(stage.getDouble("initializer_range"), (double)
                spec.findOption("--std").getValue());
    }

    @Test
    void configProblemsExitWith2AndJobFailuresWith1() {
        FailureHandler handler = new FailureHandler();
        StringWriter err = new StringWriter();
        CommandLine commandLine = SparkTuneCli.newCommandLine();
        commandLine.setErr(new PrintWriter(err, true));

        int config = handler.handleExecutionException(
                new ConfigException(List.of(new ConfigProblem("sparktune.data.stage", "bad"))), commandLine, null);
        assertEquals(2, config);
        assertTrue(err.toString().contains("sparktune.data.stage: bad"), err.toString());
        assertFalse(err.toString().contains("\tat "), err.toString());

        int slots = handler.handleExecutionException(
                new NotEnoughSlotsException(4, 2, "world_size = 4 needs 4 concurrent task slots"), commandLine, null);
        assertEquals(2, slots);
        int checkpoint = handler.handleExecutionException(
                new CheckpointException(
                        "/runs/x/checkpoint-4", "/runs/x/checkpoint-4 cannot be resumed by this run: seed"),
                commandLine,
                null);
        assertEquals(2, checkpoint);
        assertFalse(err.toString().contains("\tat "), err.toString());

        int job = handler.handleExecutionException(new IllegalStateException("executor lost"), commandLine, null);
        assertEquals(1, job);
        assertTrue(err.toString().contains("failed: java.lang.IllegalStateException: executor lost"), err.toString());
        assertTrue(err.toString().contains("\tat "), "a job failure keeps its stack trace");
    }

    /**
     * The run verb doing only {@code stages}, its init_model stage making a Qwen3 at {@code model}; the keys the other
     * stages require name places these tests never fill. {@code settings} come last.
     */
    private String[] runStages(String stages, Path model, String... settings) {
        List<String> all = new ArrayList<>(List.of(
                "run.stages=" + stages,
                "model.model_name_or_path=" + CliArgs.quoted(model),
                "init_model.architecture=Qwen3ForCausalLM",
                "init_model.tokenizer=" + CliArgs.quoted(RepoPaths.resolve("assets/tokenizers/qwen3")),
                "data.dataset=[unused]",
                "prep.output_table=" + CliArgs.quoted(dir.resolve("t")),
                "train.output_dir=" + CliArgs.quoted(dir.resolve("out")),
                "spark.master=\"local[1]\""));
        all.addAll(List.of(settings));
        return CliArgs.withSettings(List.of("run"), all.toArray(String[]::new));
    }

    @Test
    void aSettingFoundUnusableWhileTheRunRunsIsAUserErrorWithoutATrace() {
        Run bad = run(runStages(
                "[synthetic_data, init_model]",
                dir.resolve("model"),
                "synthetic_data.output_dir=\"hdfs://namenode/demo-data\""));
        assertEquals(2, bad.status(), bad.toString());
        assertTrue(
                bad.err()
                        .contains("synthetic_data.output_dir = hdfs://namenode/demo-data: the synthetic_data and "
                                + "init_model stages write local directories"),
                bad.toString());
        assertNoStackTrace(bad);
    }

    @Test
    void runsInitModelStageNeverReplacesAModelThatIsThereAndRecordsItself() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{\"a user's\": \"model\"}");
        String[] args = runStages("[init_model]", model);
        Run first = run(args);
        assertEquals(0, first.status(), first.toString());
        assertTrue(first.err().contains("already holds a model (config.json); it is used as is"), first.toString());
        assertEquals("{\"a user's\": \"model\"}", Files.readString(model.resolve("config.json")));
        Run again = run(args);
        assertTrue(
                again.err().contains("run: [init_model] finished in an earlier run with the same settings; skipped"),
                again.toString());
    }
}
