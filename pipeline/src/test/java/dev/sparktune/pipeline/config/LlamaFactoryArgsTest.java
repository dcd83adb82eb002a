package dev.sparktune.pipeline.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.freeze.FreezeConfig;
import dev.sparktune.preprocess.api.PrepConfig;
import dev.sparktune.preprocess.api.Stage;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaFactoryArgsTest {
    @TempDir
    Path dir;

    /** Shaped like LLaMA-Factory's examples/train_lora/qwen3_lora_sft.yaml, plus the prep-relevant keys. */
    private static final String QWEN3_LORA_SFT = """
            ### model
            model_name_or_path: /models/Qwen3-4B-Instruct-2507
            trust_remote_code: true

            ### method
            stage: sft
            do_train: true
            finetuning_type: lora
            lora_rank: 8
            lora_target: all

            ### dataset
            dataset: identity,alpaca_en_demo
            dataset_dir: /data/llamafactory
            template: qwen3
            cutoff_len: 2048
            max_samples: 1000
            overwrite_cache: true
            preprocessing_num_workers: 16
            dataloader_num_workers: 4
            neat_packing: true
            mask_history: true
            enable_thinking: false
            tokenized_path: /tables/qwen3_identity

            ### output
            output_dir: saves/qwen3-4b/lora/sft
            logging_steps: 10
            save_steps: 500
            plot_loss: true
            overwrite_output_dir: true
            save_only_model: false
            report_to: none  # choices: [none, wandb, tensorboard, swanlab, mlflow]

            ### train
            per_device_train_batch_size: 1
            gradient_accumulation_steps: 8
            learning_rate: 1.0e-4
            num_train_epochs: 3.0
            lr_scheduler_type: cosine
            warmup_ratio: 0.1
            bf16: true
            ddp_timeout: 180000000
            resume_from_checkpoint: null

            ### eval
            val_size: 0.1
            seed: 7
            per_device_eval_batch_size: 1
            eval_strategy: steps
            eval_steps: 500
            """;

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    @Test
    void mapsLlamaFactoryKeysOntoTheTreeAndWarnsAboutTrainingKeys() throws IOException {
        SparkTuneConfig config = SparkTuneConfig.load(
                ConfigSources.of(write("qwen3_lora_sft.yaml", QWEN3_LORA_SFT), List.of()), Verb.PREP);
        assertEquals(
                PrepConfig.builder()
                        .datasets(List.of("identity", "alpaca_en_demo"))
                        .datasetDir("/data/llamafactory")
                        .modelPath("/models/Qwen3-4B-Instruct-2507")
                        .template("qwen3")
                        .cutoffLen(2048)
                        .packing(true)
                        .maskHistory(true)
                        .enableThinking(false)
                        .valSize(0.1)
                        .maxSamples(1000)
                        .seed(7)
                        .outputs(PrepConfig.Outputs.beside("/tables/qwen3_identity"))
                        .build(),
                config.prep());

        String warnings = config.warnings().toString();
        for (String ignored :
                List.of("bf16", "report_to", "plot_loss", "preprocessing_num_workers", "trust_remote_code")) {
            assertTrue(warnings.contains(ignored), ignored + " not in " + warnings);
        }
        for (String mapped : List.of(
                "per_device_train_batch_size", "learning_rate", "lora_rank", "output_dir", "resume_from_checkpoint")) {
            assertTrue(!warnings.contains(mapped), mapped + " is a train key now, not ignored: " + warnings);
        }
        assertEquals(2, config.warnings().size(), "one warning per group: " + warnings);
    }

    @Test
    void runDoesWhatTheSwitchesSayAndTheTableGoesNextToTheOutputDir() throws IOException {
        Path file = write("lf.yaml", """
                model_name_or_path: /m
                dataset: a
                output_dir: saves/x/
                do_train: true
                export_dir: /exports/x
                """);
        SparkTuneConfig config = SparkTuneConfig.load(ConfigSources.of(file, List.of()), Verb.RUN);
        assertEquals(
                List.of(RunSettings.Stage.PREP, RunSettings.Stage.TRAIN, RunSettings.Stage.EXPORT),
                config.run().stages());
        assertEquals("saves/x_tokenized", config.prep().outputs().table());
        assertTrue(
                config.warnings().toString().contains("tokenized_path is not set"),
                config.warnings().toString());
        Path predictOnly = write(
                "predict.yaml",
                "model_name_or_path: /m\ndataset: a\ntokenized_path: /t\n"
                        + "output_dir: /o\ndo_predict: true\nval_size: 0.1\n");
        assertEquals(
                List.of(RunSettings.Stage.PREP, RunSettings.Stage.EVAL),
                SparkTuneConfig.load(ConfigSources.of(predictOnly, List.of()), Verb.RUN)
                        .run()
                        .stages());
    }

    @Test
    void freezeAndLoraPlusRecipesKeepTheirSettings() throws IOException {
        // LLaMA-Factory's examples/train_freeze shape: the last n layers, extra modules, and a LoRA+ recipe
        Path freeze = write("freeze.yaml", """
                model_name_or_path: /m
                dataset: a
                output_dir: saves/freeze
                finetuning_type: freeze
                freeze_trainable_layers: 6
                freeze_trainable_modules: all
                freeze_extra_modules: embed_tokens,norm
                """);
        TrainConfig train = SparkTuneConfig.load(ConfigSources.of(freeze, List.of()), Verb.TRAIN)
                .train();
        assertEquals(FinetuningType.FREEZE, train.finetuning().type());
        assertEquals(
                new FreezeConfig(6, List.of("all"), List.of("embed_tokens", "norm")),
                train.finetuning().freeze());
        Path loraplus = write("loraplus.yaml", """
                model_name_or_path: /m
                dataset: a
                output_dir: saves/loraplus
                finetuning_type: lora
                loraplus_lr_ratio: 16.0
                """);
        assertEquals(
                16.0,
                SparkTuneConfig.load(ConfigSources.of(loraplus, List.of()), Verb.TRAIN)
                        .train()
                        .finetuning()
                        .loraplusLrRatio());
    }

    @Test
    void gradientCheckpointingIsOnUnlessDisabledAsInLlamaFactory() throws IOException {
        String base = "model_name_or_path: /m\ndataset: a\noutput_dir: saves/gc\n";
        assertTrue(train(write("default.yaml", base)).activations().gradientCheckpointing(), "LLaMA-Factory's default");
        assertTrue(!train(write("off.yaml", base + "disable_gradient_checkpointing: true\n"))
                .activations()
                .gradientCheckpointing());
        assertTrue(train(write("on.yaml", base + "disable_gradient_checkpointing: false\n"))
                .activations()
                .gradientCheckpointing());
        // transformers' own flag does not turn it off: LLaMA-Factory's patcher enables it regardless
        SparkTuneConfig ignored = SparkTuneConfig.load(
                ConfigSources.of(write("hf.yaml", base + "gradient_checkpointing: false\n"), List.of()), Verb.TRAIN);
        assertTrue(ignored.train().activations().gradientCheckpointing());
        assertTrue(
                ignored.warnings().toString().contains("gradient_checkpointing"),
                ignored.warnings().toString());
        ConfigException bad = assertThrows(
                ConfigException.class,
                () -> train(write("bad.yaml", base + "disable_gradient_checkpointing: sometimes\n")));
        assertTrue(
                bad.getMessage().contains("disable_gradient_checkpointing")
                        && bad.getMessage().contains("true or " + "false"),
                bad.getMessage());
    }

    private static TrainConfig train(Path file) {
        return SparkTuneConfig.load(ConfigSources.of(file, List.of()), Verb.TRAIN)
                .train();
    }

    @Test
    void overridesApplyOnTopOfALlamaFactoryFile() throws IOException {
        Path file = write("qwen3_lora_sft.yml", QWEN3_LORA_SFT);
        PrepConfig prep = SparkTuneConfig.load(ConfigSources.of(file, List.of("data.cutoff_len=1024")), Verb.PREP)
                .prep();
        assertEquals(1024, prep.labels().cutoffLen());
    }

    @Test
    void jsonArgumentsFileAndNullMeansTheDefault() throws IOException {
        Path file = write("args.json", """
                {"model_name_or_path": "/m", "dataset": "a", "tokenized_path": "/t", "max_samples": null,
                 "packing": null, "stage": "pt", "mix_strategy": "concat", "eval_dataset": null}
                """);
        PrepConfig prep = SparkTuneConfig.load(ConfigSources.of(file, List.of()), Verb.PREP)
                .prep();
        assertEquals(0, prep.maxSamples());
        assertEquals(Stage.PT, prep.stage());
        assertTrue(prep.packing(), "packing null = auto = on for pt");
    }

    @Test
    void unknownArgumentIsAnErrorWithTheClosestLlamaFactoryKey() throws IOException {
        Path file = write("job.yaml", """
                model_name_or_path: /m
                dataset: a
                tokenized_path: /t
                cutof_len: 1024
                totally_made_up: 1
                """);
        ConfigException e = assertThrows(
                ConfigException.class, () -> SparkTuneConfig.load(ConfigSources.of(file, List.of()), Verb.PREP));
        assertEquals(2, e.problems().size(), e.getMessage());
        ConfigProblem typo = e.problems().get(0);
        assertEquals("cutof_len", typo.keyPath());
        assertTrue(typo.message().contains("did you mean cutoff_len?"), typo.message());
        assertEquals("totally_made_up", e.problems().get(1).keyPath());
    }

    @Test
    void dataShapingArgumentsAreAcceptedOnlyAtTheirDefault() throws IOException {
        Path file = write("job.yaml", """
                model_name_or_path: /m
                dataset: a
                tokenized_path: /t
                mix_strategy: interleave_under
                streaming: false
                eval_dataset: b
                """);
        ConfigException e = assertThrows(
                ConfigException.class, () -> SparkTuneConfig.load(ConfigSources.of(file, List.of()), Verb.PREP));
        assertEquals(
                List.of("mix_strategy", "eval_dataset"),
                e.problems().stream().map(ConfigProblem::keyPath).toList(),
                e.getMessage());
        assertTrue(e.problems().get(0).message().contains("allowed: concat"), e.getMessage());
        assertTrue(e.problems().get(0).message().contains("interleave_under"), e.getMessage());
    }

    @Test
    void moeAuxLossCoefIsRefusedWhenSetAsTheLoadBalancingLossIsNotComputed() throws IOException {
        // LLaMA-Factory turns on output_router_logits (the MoE load-balancing loss) when it is set
        Path file = write("job.yaml", """
                model_name_or_path: /m
                dataset: a
                tokenized_path: /t
                moe_aux_loss_coef: 0.001
                """);
        ConfigException e = assertThrows(
                ConfigException.class, () -> SparkTuneConfig.load(ConfigSources.of(file, List.of()), Verb.PREP));
        assertEquals(
                List.of("moe_aux_loss_coef"),
                e.problems().stream().map(ConfigProblem::keyPath).toList(),
                e.getMessage());
        Path unset = write("unset.yaml", """
                model_name_or_path: /m
                dataset: a
                tokenized_path: /t
                moe_aux_loss_coef: null
                """);
        SparkTuneConfig.load(ConfigSources.of(unset, List.of()), Verb.PREP);
    }

    @Test
    void badMappedValueNamesTheTreeKeyAndTheLlamaFactoryKey() throws IOException {
        Path file = write("ppo.yaml", "model_name_or_path: /m\ndataset: a\ntokenized_path: /t\nstage: ppo\n");
        ConfigException e = assertThrows(
                ConfigException.class, () -> SparkTuneConfig.load(ConfigSources.of(file, List.of()), Verb.PREP));
        ConfigProblem problem = e.problems().get(0);
        assertEquals("sparktune.data.stage", problem.keyPath());
        assertTrue(problem.message().contains("allowed: sft, pt, dpo"), problem.message());
        assertTrue(problem.message().contains("ppo.yaml, LLaMA-Factory key 'stage'"), problem.message());
    }

    @Test
    void malformedYamlAndDuplicateKeysAreReported() throws IOException {
        ConfigException duplicate = assertThrows(
                ConfigException.class,
                () -> SparkTuneConfig.load(
                        ConfigSources.of(write("dup.yaml", "cutoff_len: 1\ncutoff_len: 2\n"), List.of()),
                        Verb.INSPECT));
        assertTrue(duplicate.getMessage().contains("cutoff_len"), duplicate.getMessage());
        ConfigException list = assertThrows(
                ConfigException.class,
                () -> SparkTuneConfig.load(
                        ConfigSources.of(write("list.yaml", "- a\n- b\n"), List.of()), Verb.INSPECT));
        assertTrue(list.getMessage().contains("expected a mapping"), list.getMessage());
    }

    @Test
    void everyMappedTargetIsAReferenceKey() {
        SparkTuneConfig.load(ConfigSources.defaults(), Verb.INSPECT); // reference.conf parses
        for (String target : LlamaFactoryArgs.MAPPED.values()) {
            ConfigException e = assertThrows(
                    ConfigException.class,
                    () -> SparkTuneConfig.load(
                            new ConfigSources(Optional.empty(), List.of(target + "={}")), Verb.INSPECT));
            assertTrue(
                    e.problems().stream().noneMatch(p -> p.message().contains("unknown key")),
                    target + " is not in reference.conf: " + e.getMessage());
        }
    }
}
