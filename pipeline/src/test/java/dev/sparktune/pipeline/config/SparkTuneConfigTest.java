package dev.sparktune.pipeline.config;

import static dev.sparktune.pipeline.config.RunSettings.Stage.EVAL;
import static dev.sparktune.pipeline.config.RunSettings.Stage.EXPORT;
import static dev.sparktune.pipeline.config.RunSettings.Stage.PREP;
import static dev.sparktune.pipeline.config.RunSettings.Stage.REF_LOGPROBS;
import static dev.sparktune.pipeline.config.RunSettings.Stage.TRAIN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.preprocess.api.OverlongPolicy;
import dev.sparktune.preprocess.api.PrepConfig;
import dev.sparktune.preprocess.api.Stage;
import dev.sparktune.trainer.api.RefLogprobsSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparkTuneConfigTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    private static SparkTuneConfig load(Path file, Verb verb, String... overrides) {
        return SparkTuneConfig.load(ConfigSources.of(file, List.of(overrides)), verb);
    }

    private static ConfigException failure(Path file, Verb verb, String... overrides) {
        return assertThrows(ConfigException.class, () -> load(file, verb, overrides));
    }

    private static ConfigProblem only(ConfigException e, String keyPath) {
        List<ConfigProblem> matching =
                e.problems().stream().filter(p -> p.keyPath().equals(keyPath)).toList();
        assertEquals(1, matching.size(), () -> "expected one problem for " + keyPath + " in:\n" + e.getMessage());
        return matching.get(0);
    }

    private static final String MINIMAL = """
            sparktune {
              model.model_name_or_path = /models/qwen3
              data.dataset = [alpaca_demo]
              prep.output_table = /tables/qwen3_sft
            }
            """;

    @Test
    void defaultsOnlyAreEnoughForInspectButPrepNamesEveryRequiredKey() {
        SparkTuneConfig config = SparkTuneConfig.load(ConfigSources.defaults(), Verb.INSPECT);
        assertEquals(new SparkSettings("local[*]", "sparktune", Map.of()), config.spark());
        assertThrows(IllegalStateException.class, config::prep);

        ConfigException e =
                assertThrows(ConfigException.class, () -> SparkTuneConfig.load(ConfigSources.defaults(), Verb.PREP));
        assertEquals(3, e.problems().size(), e.getMessage());
        assertTrue(only(e, "sparktune.model.model_name_or_path").message().contains("required by prep"));
        assertTrue(only(e, "sparktune.data.dataset").message().contains("required by prep"));
        assertTrue(only(e, "sparktune.prep.output_table").message().contains("required by prep"));
    }

    @Test
    void runResolvesEverySectionItsStagesUseAndDefaultsTheStateFileIntoTheTrainOutput() throws IOException {
        Path file = write("run.conf", MINIMAL);
        SparkTuneConfig config = load(file, Verb.RUN, "train.output_dir=/runs/a/", "export.export_dir=/runs/merged");
        assertEquals(List.of(PREP, TRAIN, EXPORT, EVAL), config.run().stages());
        assertEquals("/runs/a/run_state.json", config.run().stateFile());
        assertEquals("/tables/qwen3_sft", config.eval().table(), "eval reads prep's table by default");
        assertEquals(42, config.eval().seed(), "eval.seed follows data.seed");
        assertEquals(5_000_000_000L, config.export().maxShardBytes());

        assertEquals(
                "/adapters/x",
                load(file, Verb.EXPORT, "export.export_dir=/m", "model.adapter_name_or_path=/adapters/x")
                        .export()
                        .adapterPath());
        assertEquals(
                "/adapters/x",
                load(file, Verb.TRAIN, "train.output_dir=/o", "model.adapter_name_or_path=/adapters/x")
                        .train()
                        .finetuning()
                        .adapterNameOrPath(),
                "LoRA training continues it");
        assertTrue(
                only(
                                failure(
                                        file,
                                        Verb.TRAIN,
                                        "train.output_dir=/o",
                                        "model.adapter_name_or_path=/adapters/x",
                                        "train.finetuning_type=full"),
                                "sparktune.model.adapter_name_or_path")
                        .message()
                        .contains("needs finetuning_type = lora"),
                "train never silently ignores an adapter");
        assertTrue(only(
                        failure(file, Verb.TRAIN, "train.output_dir=/o", "model.adapter_name_or_path=\"/a/x,/a/y\""),
                        "sparktune.model.adapter_name_or_path")
                .message()
                .contains("continues one adapter"));
    }

    @Test
    void runStagesMustBeKnownAndInPipelineOrderAndTheirSectionsSet() throws IOException {
        Path file = write("run.conf", MINIMAL);
        String[] common = {"train.output_dir=/runs/a", "export.export_dir=/runs/m"};
        assertTrue(only(failure(file, Verb.RUN, concat(common, "run.stages=[train, prep]")), "sparktune.run.stages")
                .message()
                .contains("out of order"));
        assertTrue(only(failure(file, Verb.RUN, concat(common, "run.stages=[prep, tune]")), "sparktune.run.stages")
                .message()
                .contains("allowed: synthetic_data, init_model, prep, ref_logprobs, train, export, eval"));
        assertTrue(only(
                        failure(file, Verb.RUN, concat(common, "run.stages=[init_model, prep]")),
                        "sparktune.init_model.architecture")
                .message()
                .contains("init_model.tokenizer"));
        assertTrue(only(failure(file, Verb.RUN, "train.output_dir=/runs/a"), "sparktune.export.export_dir")
                .message()
                .contains("required by export"));
        // preference pairs train and evaluate against the reference's log-probs, which the run computes first
        // unless the loss needs none
        SparkTuneConfig dpo = load(
                file, Verb.RUN, concat(concat(common, "data.stage=dpo"), "run.stages=[prep, train, export, eval]"));
        assertEquals(Stage.DPO, dpo.prep().stage());
        assertEquals(List.of(PREP, REF_LOGPROBS, TRAIN, EXPORT, EVAL), dpo.run().stages());
        assertEquals(dpo.prep().modelPath(), dpo.eval().preference().refModel(), "the base model is the reference");
        assertEquals(
                List.of(PREP, REF_LOGPROBS, EVAL),
                load(file, Verb.RUN, concat(concat(common, "data.stage=dpo"), "run.stages=[prep, eval]"))
                        .run()
                        .stages(),
                "evaluating pairs needs the reference too");
        assertEquals(
                List.of(PREP, REF_LOGPROBS, EXPORT, EVAL),
                load(file, Verb.RUN, concat(concat(common, "data.stage=dpo"), "run.stages=[prep, export, eval]"))
                        .run()
                        .stages(),
                "in the pipeline's order");
        assertTrue(
                only(
                                failure(file, Verb.EVAL, "train.pref_loss=ipo", "train.dpo_label_smoothing=0.1"),
                                "sparktune.train.dpo_label_smoothing")
                        .message()
                        .contains("sigmoid only"),
                "checked for eval too");
        assertEquals(dpo.train().table() + "_ref_logprobs", dpo.refLogProbs().outputTable());
        assertEquals(4, dpo.refLogProbs().batchRows(), "reference.conf's rows per forward");
        assertEquals(-1, dpo.refLogProbs().tableVersion(), "reference.conf: the table's latest version");
        assertEquals(
                3,
                load(
                                file,
                                Verb.REF_LOGPROBS,
                                concat(concat(common, "data.stage=dpo"), "train.ref_logprobs_table_version=3"))
                        .refLogProbs()
                        .tableVersion(),
                "the version ref-logprobs scores");
        // a run that trains reads the latest version: scoring another one first would be spent, then refused
        assertTrue(only(
                        failure(
                                file,
                                Verb.RUN,
                                concat(concat(common, "data.stage=dpo"), "train.ref_logprobs_table_version=3")),
                        "sparktune.train.ref_logprobs_table_version")
                .message()
                .contains("sparktune ref-logprobs -c <conf> --set train.ref_logprobs_table_version=3"));
        // in the same pass as a problem of prep's own
        ConfigException both = failure(
                file,
                Verb.RUN,
                concat(
                        concat(concat(common, "data.stage=dpo"), "train.ref_logprobs_table_version=3"),
                        "data.cutoff_len=0"));
        only(both, "sparktune.train.ref_logprobs_table_version");
        only(both, "sparktune.data.cutoff_len");
        assertEquals(
                List.of(RunSettings.Stage.REF_LOGPROBS, RunSettings.Stage.EVAL),
                load(
                                file,
                                Verb.RUN,
                                concat(
                                        concat(concat(common, "data.stage=dpo"), "run.stages=[ref_logprobs, eval]"),
                                        "train.ref_logprobs_table_version=3"))
                        .run()
                        .stages(),
                "a run that does not train may score an older version (for eval.table_version)");
        assertEquals(
                List.of(PREP, TRAIN),
                load(
                                file,
                                Verb.RUN,
                                concat(
                                        concat(concat(common, "data.stage=dpo"), "run.stages=[prep, train]"),
                                        "train.pref_loss=simpo"))
                        .run()
                        .stages(),
                "orpo and simpo need no reference");
        assertTrue(only(
                        failure(file, Verb.TRAIN, "train.output_dir=/o", "train.pref_loss=kto_pair"),
                        "sparktune.train.pref_loss")
                .message()
                .contains("sigmoid, hinge, ipo, orpo, simpo"));
        assertTrue(only(
                        failure(
                                file,
                                Verb.TRAIN,
                                "train.output_dir=/o",
                                "train.pref_loss=ipo",
                                "train.dpo_label_smoothing=0.1"),
                        "sparktune.train.dpo_label_smoothing")
                .message()
                .contains("sigmoid only"));
        assertTrue(only(failure(file, Verb.EVAL, "eval.top_p=1.5"), "sparktune.eval.top_p")
                .message()
                .contains("(0, 1]"));
    }

    /**
     * train.ref_logprobs = adapters_off: the reference is the LoRA model with its adapters off, so run adds no
     * ref_logprobs stage; it needs finetuning_type = lora and the base as the reference, and every other combination
     * is refused under the key to change (for eval too, which computes that reference itself).
     */
    @Test
    void adaptersOffTakesTheLoraBaseAsReferenceWithoutARefLogprobsStage() throws IOException {
        Path file = write("dpo.conf", MINIMAL);
        String[] common = {
            "train.output_dir=/runs/a", "export.export_dir=/runs/m", "data.stage=dpo", "train.ref_logprobs=adapters_off"
        };
        SparkTuneConfig run = load(file, Verb.RUN, concat(common, "run.stages=[prep, train, export, eval]"));
        assertEquals(List.of(PREP, TRAIN, EXPORT, EVAL), run.run().stages(), "no reference pass");
        assertTrue(run.train().preference().adaptersOff()
                && run.eval().preference().adaptersOff());
        assertEquals(
                RefLogprobsSource.TABLE,
                load(file, Verb.TRAIN, "train.output_dir=/o")
                        .train()
                        .preference()
                        .refLogprobs(),
                "the default");
        // a continued adapter is compared with the base without it; ref_model may name the base itself
        assertTrue(load(
                        file,
                        Verb.TRAIN,
                        concat(
                                concat(common, "model.adapter_name_or_path=/adapters/sft"),
                                "train.ref_model=\"/models/qwen3/\""))
                .train()
                .preference()
                .adaptersOff());

        assertTrue(only(
                        failure(file, Verb.TRAIN, concat(common, "train.finetuning_type=full")),
                        "sparktune.train.ref_logprobs")
                .message()
                .contains("needs finetuning_type = lora; for full set ref_logprobs = table"));
        for (Verb verb : new Verb[] {Verb.TRAIN, Verb.EVAL}) {
            assertTrue(
                    only(
                                    failure(file, verb, concat(common, "train.ref_model=/models/other")),
                                    "sparktune.train.ref_model")
                            .message()
                            .contains("unset ref_model, or set ref_logprobs = table"),
                    verb.toString());
            assertTrue(
                    only(
                                    failure(file, verb, concat(common, "train.ref_model_adapters=/adapters/sft")),
                                    "sparktune.train.ref_model_adapters")
                            .message()
                            .contains("unset ref_model_adapters, or set ref_logprobs = table"),
                    verb.toString());
        }
        assertTrue(only(
                        failure(file, Verb.TRAIN, "train.output_dir=/o", "train.ref_logprobs=adapter_off"),
                        "sparktune.train.ref_logprobs")
                .message()
                .contains("table, adapters_off; did you mean adapters_off?"));
    }

    @Test
    void aSetValueThatIsOneSubstitutionTakesThatKeysValue() throws IOException {
        Path file = write("export.conf", MINIMAL);
        SparkTuneConfig export = load(
                file,
                Verb.EXPORT,
                "train.output_dir=s3a://b/runs/x",
                "export.export_dir=/m",
                "model.adapter_name_or_path=${train.output_dir}");
        assertEquals("s3a://b/runs/x", export.export().adapterPath(), "relative to sparktune");
        SparkTuneConfig eval = load(
                file,
                Verb.EVAL,
                "export.export_dir=/exports/m",
                "model.model_name_or_path=${sparktune.export.export_dir}");
        assertEquals("/exports/m", eval.eval().modelPath(), "absolute");
        assertEquals(
                "s3a://b/x${y}",
                load(file, Verb.EXPORT, "export.export_dir=/m", "model.adapter_name_or_path=s3a://b/x${y}")
                        .export()
                        .adapterPath(),
                "not a whole substitution: text");
    }

    private static String[] concat(String[] a, String b) {
        String[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = b;
        return out;
    }

    @Test
    void hoconFileGivesTypedPrepConfigWithReferenceDefaults() throws IOException {
        PrepConfig prep = load(write("job.conf", MINIMAL), Verb.PREP).prep();
        assertEquals(
                PrepConfig.builder()
                        .datasets(List.of("alpaca_demo"))
                        .datasetDir("data")
                        .modelPath("/models/qwen3")
                        .cutoffLen(2048)
                        .outputs(PrepConfig.Outputs.beside("/tables/qwen3_sft"))
                        .build(),
                prep);
    }

    @Test
    void overridesWinOverTheFileAndDerivedPathsFollowTheOverriddenTable() throws IOException {
        Path file = write("job.conf", MINIMAL + "sparktune.data.cutoff_len = 4096\n");
        PrepConfig prep = load(
                        file,
                        Verb.PREP,
                        "data.cutoff_len=1024",
                        "data.cutoff_len=512", // a later --set wins
                        "data.dataset=[a, \"b c\"]", // HOCON list
                        "prep.output_table=s3a://bucket/tables/t1", // verbatim: // is not a comment here
                        "sparktune.data.val_size=0.25", // the sparktune. prefix is optional
                        "data.overlong=REJECT")
                .prep();
        assertEquals(512, prep.labels().cutoffLen());
        assertEquals(List.of("a", "b c"), prep.datasets());
        assertEquals("s3a://bucket/tables/t1", prep.outputs().table());
        assertEquals("s3a://bucket/tables/t1_rejects", prep.outputs().rejectsTable());
        assertEquals("s3a://bucket/tables/t1_stats.json", prep.outputs().statsPath());
        assertEquals(0.25, prep.split().valSize());
        assertEquals(OverlongPolicy.REJECT, prep.labels().overlong());
    }

    @Test
    void datasetTakesLlamaFactorysCommaSeparatedString() throws IOException {
        PrepConfig prep = load(write("job.conf", MINIMAL), Verb.PREP, "data.dataset=identity, alpaca_en_demo")
                .prep();
        assertEquals(List.of("identity", "alpaca_en_demo"), prep.datasets());
    }

    @Test
    void packingFollowsLlamaFactorySemantics() throws IOException {
        Path file = write("job.conf", MINIMAL);
        assertFalse(load(file, Verb.PREP).prep().packing(), "auto: off for sft");
        assertTrue(load(file, Verb.PREP, "data.stage=pt").prep().packing(), "auto: on for pt");
        assertFalse(load(file, Verb.PREP, "data.stage=pt", "data.packing=false")
                .prep()
                .packing());
        assertTrue(load(file, Verb.PREP, "data.packing=true").prep().packing());
        assertTrue(load(file, Verb.PREP, "data.neat_packing=true").prep().packing(), "neat_packing implies packing");
        assertTrue(load(file, Verb.PREP, "data.packing=false", "data.neat_packing=true")
                .prep()
                .packing());
    }

    @Test
    void sparkConfIsFlattenedToSparkKeysQuotedOrNot() throws IOException {
        Path file = write("job.conf", """
                sparktune.spark {
                  master = "local[2]"
                  conf {
                    "spark.hadoop.fs.s3a.endpoint" = "http://127.0.0.1:9000"
                    spark.sql.shuffle.partitions = 8
                  }
                }
                """);
        SparkSettings spark =
                load(file, Verb.INSPECT, "spark.conf.spark.ui.enabled=false").spark();
        assertEquals("local[2]", spark.master());
        assertEquals(
                Map.of(
                        "spark.hadoop.fs.s3a.endpoint",
                        "http://127.0.0.1:9000",
                        "spark.sql.shuffle.partitions",
                        "8",
                        "spark.ui.enabled",
                        "false"),
                spark.conf());
    }

    @Test
    void unknownKeyNamesTheFullPathAndTheClosestKnownKey() throws IOException {
        Path file = write("job.conf", MINIMAL + """
                sparktune.data.cutof_len = 1024
                sparktune.prep.mask_history = true
                sparktune.data.no_such_thing_at_all = 1
                """);
        ConfigException e = failure(file, Verb.PREP);
        String typo = only(e, "sparktune.data.cutof_len").message();
        assertTrue(typo.contains("did you mean sparktune.data.cutoff_len?"), typo);
        assertTrue(typo.contains("job.conf"), "names where the key was set: " + typo);
        String misplaced = only(e, "sparktune.prep.mask_history").message();
        assertTrue(misplaced.contains("did you mean sparktune.data.mask_history?"), misplaced);
        String unknown = only(e, "sparktune.data.no_such_thing_at_all").message();
        assertTrue(unknown.contains("keys in sparktune.data: ") && unknown.contains("cutoff_len"), unknown);
        assertEquals(3, e.problems().size(), e.getMessage());
    }

    @Test
    void settingsOutsideTheSparktuneRootAreRejectedWithAHintButHelperKeysAreAllowed() throws IOException {
        ConfigException e = failure(write("job.conf", """
                data { cutoff_len = 10 }
                cutoff_len = 5
                sparktun { }
                """), Verb.INSPECT);
        assertTrue(only(e, "data").message().contains("did you mean sparktune.data?"), e.getMessage());
        assertTrue(only(e, "cutoff_len").message().contains("did you mean sparktune.data.cutoff_len?"));
        assertTrue(only(e, "sparktun").message().contains("did you mean sparktune?"), e.getMessage());

        SparkTuneConfig config = load(write("helpers.conf", MINIMAL + """
                paths { tables = "/warehouse" }
                sparktune.prep.output_table = ${paths.tables}"/qwen3"
                """), Verb.PREP);
        assertEquals("/warehouse/qwen3_rejects", config.prep().outputs().rejectsTable());
        assertEquals("paths", config.warnings().get(0).keyPath());
    }

    @Test
    void aSectionSetToAValueIsReportedWithoutReadingValues() {
        ConfigException e = failure(null, Verb.PREP, "data=5", "model.tempalte=x");
        assertTrue(only(e, "sparktune.data").message().contains("is a section"), e.getMessage());
        assertTrue(only(e, "sparktune.model.tempalte").message().contains("did you mean sparktune.model.template?"));
        assertEquals(2, e.problems().size(), e.getMessage());
    }

    @Test
    void unknownKeyInAnOverride() {
        ConfigException e = failure(null, Verb.INSPECT, "spark.mastr=yarn");
        String message = only(e, "sparktune.spark.mastr").message();
        assertTrue(message.contains("did you mean sparktune.spark.master?"), message);
        assertTrue(message.contains("--set"), message);
    }

    @Test
    void eachBadValueNamesKeyValueAndWhatIsAllowed() {
        Map<String, List<String>> cases = Map.ofEntries(
                Map.entry("data.stage=ppo", List.of("sparktune.data.stage", "\"ppo\"", "allowed: sft, pt, dpo")),
                Map.entry("data.cutoff_len=1", List.of("sparktune.data.cutoff_len", "1", "a whole number >= 2")),
                Map.entry("data.cutoff_len=12.5", List.of("sparktune.data.cutoff_len", "12.5", "a whole number")),
                Map.entry(
                        "data.cutoff_len=3000000000",
                        List.of("sparktune.data.cutoff_len", "3000000000", "a whole number in [", ", 2147483647]")),
                Map.entry("data.overlong=drop", List.of("sparktune.data.overlong", "\"drop\"", "truncate, reject")),
                Map.entry("data.val_size=1.5", List.of("sparktune.data.val_size", "1.5", "a fraction in [0, 1)")),
                Map.entry("data.val_size=-0.1", List.of("sparktune.data.val_size", "-0.1", "whole document count")),
                Map.entry("data.max_samples=-1", List.of("sparktune.data.max_samples", "-1", ">= 0")),
                Map.entry("data.seed=abc", List.of("sparktune.data.seed", "\"abc\"", "allowed: a whole number")),
                Map.entry("data.packing=maybe", List.of("sparktune.data.packing", "\"maybe\"", "auto, true or false")),
                Map.entry(
                        "data.train_on_prompt=sometimes",
                        List.of("sparktune.data.train_on_prompt", "\"sometimes\"", "true or false")),
                Map.entry("data.dataset={a=1}", List.of("sparktune.data.dataset", "comma-separated")),
                Map.entry("model.template=\"\"", List.of("sparktune.model.template", "allowed: auto, qwen3, ")),
                Map.entry(
                        "model.template=lama3",
                        List.of(
                                "sparktune.model.template",
                                "\"lama3\"",
                                "auto, qwen3",
                                "auto: the model's own chat template",
                                "did you mean llama3?")),
                Map.entry("prep.partitions=-2", List.of("sparktune.prep.partitions", "-2", ">= 0")),
                // TrainConfig's ranges, reported for a verb that does not train as well
                Map.entry("train.learning_rate=-1", List.of("sparktune.train.learning_rate", "-1", "a number > 0")),
                Map.entry(
                        "train.world_size=0",
                        List.of("sparktune.train.world_size", "invalid value 0", "a whole number in [1, 4096]")),
                Map.entry("train.max_steps=2.5", List.of("sparktune.train.max_steps", "2.5", "a whole number")),
                Map.entry(
                        "train.ref_logprobs_batch_rows=0",
                        List.of("sparktune.train.ref_logprobs_batch_rows", "invalid value 0", "[1, 4096]")),
                Map.entry(
                        "train.ref_logprobs_table_version=-2",
                        List.of("sparktune.train.ref_logprobs_table_version", "invalid value -2", ">= -1")),
                // PreferenceLoss's own rule, under its key
                Map.entry(
                        "train.pref_beta=0",
                        List.of("sparktune.train.pref_beta", "must be a finite number > 0, got 0.0")),
                Map.entry("spark.master=null", List.of("sparktune.spark.master", "must not be null")),
                Map.entry(
                        "spark.conf.spark.jars=[a, b]",
                        List.of("sparktune.spark.conf.spark.jars", "a string, number or boolean")));
        cases.forEach((override, expected) -> {
            ConfigException e = failure(null, Verb.INSPECT, override);
            assertEquals(1, e.problems().size(), () -> override + " gave:\n" + e.getMessage());
            ConfigProblem problem = e.problems().get(0);
            assertEquals(expected.get(0), problem.keyPath(), override);
            for (String part : expected.subList(1, expected.size())) {
                assertTrue(problem.message().contains(part), () -> override + ": '" + part + "' missing in " + problem);
            }
        });
    }

    @Test
    void everyProblemIsReportedAtOnce() throws IOException {
        Path file = write("job.conf", """
                sparktune {
                  data { stage = rm, cutoff_len = 0, val_size = 2.5, train_on_prompt = true, mask_history = true }
                  prep.partitions = many
                  prep.cutoff_len = 10
                }
                """);
        ConfigException e = failure(file, Verb.PREP, "spark.app_name=\"  \"");
        List<String> keys = e.problems().stream().map(ConfigProblem::keyPath).toList();
        assertEquals(
                List.of(
                                "sparktune.prep.cutoff_len",
                                "sparktune.spark.app_name",
                                "sparktune.model.model_name_or_path",
                                "sparktune.data.stage",
                                "sparktune.data.cutoff_len",
                                "sparktune.data.val_size",
                                "sparktune.data.mask_history",
                                "sparktune.data.dataset",
                                "sparktune.prep.output_table",
                                "sparktune.prep.partitions")
                        .stream()
                        .sorted()
                        .toList(),
                keys.stream().sorted().toList(),
                e.getMessage());
        assertTrue(e.getMessage().startsWith("Invalid configuration (10 problems):"), e.getMessage());
        assertTrue(only(e, "sparktune.data.mask_history").message().contains("train_on_prompt"));
        assertTrue(only(e, "sparktune.data.stage").message().contains("job.conf: 2"), "names file and line");

        ConfigException notPrepping =
                failure(null, Verb.INSPECT, "data.train_on_prompt=true", "data.mask_history=true");
        assertEquals(1, notPrepping.problems().size(), notPrepping.getMessage());
        assertTrue(
                only(notPrepping, "sparktune.data.mask_history").message().contains("train_on_prompt"),
                "a config is checked whole, whatever the verb");
    }

    @Test
    void malformedOverridesUnreadableFilesAndUnknownFileTypes() throws IOException {
        ConfigException noEquals = failure(null, Verb.INSPECT, "data.cutoff_len");
        assertEquals("--set", noEquals.problems().get(0).keyPath());
        assertTrue(noEquals.getMessage().contains("expected key=value"), noEquals.getMessage());

        ConfigException missing = failure(dir.resolve("nope.conf"), Verb.INSPECT);
        assertTrue(missing.getMessage().contains("config file not found"), missing.getMessage());

        ConfigException type = failure(write("job.toml", "a = 1"), Verb.INSPECT);
        assertTrue(type.getMessage().contains("allowed: .conf"), type.getMessage());

        ConfigException syntax = failure(write("bad.conf", "sparktune { data { cutoff_len = "), Verb.INSPECT);
        assertTrue(syntax.getMessage().contains("cannot parse"), syntax.getMessage());
    }

    @Test
    void renderShowsResolvedValuesAndRedactsSecrets() throws IOException {
        Path file = write("job.conf", MINIMAL + """
                sparktune.spark.conf { "spark.hadoop.fs.s3a.secret.key" = hunter2, "spark.hadoop.fs.s3a.endpoint" = e }
                """);
        String rendered = load(file, Verb.PREP).render();
        assertTrue(rendered.contains("/tables/qwen3_sft_rejects"), rendered);
        assertTrue(rendered.contains("    cutoff_len = 2048\n"), rendered);
        assertTrue(rendered.contains("<redacted>"), rendered);
        assertFalse(rendered.contains("hunter2"), rendered);
        assertTrue(rendered.contains("\"e\""), rendered);
    }
}
