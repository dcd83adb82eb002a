package dev.sparktune.pipeline.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.freeze.FreezeConfig;
import dev.sparktune.dl4j.optim.LrSchedule;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.api.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The train section: LLaMA-Factory/transformers defaults and names, validation naming keys, YAML mapping. */
class TrainSectionTest {
    @TempDir
    Path dir;

    private static final String MINIMAL = """
            sparktune {
              model.model_name_or_path = /models/qwen3
              prep.output_table = /tables/qwen3_sft
              train.output_dir = /runs/qwen3-lora
            }
            """;

    private SparkTuneConfig load(String text, String... overrides) throws IOException {
        Path file = Files.writeString(dir.resolve("job.conf"), text);
        return SparkTuneConfig.load(ConfigSources.of(file, List.of(overrides)), Verb.TRAIN);
    }

    private ConfigException failure(String text, String... overrides) {
        return assertThrows(ConfigException.class, () -> load(text, overrides));
    }

    @Test
    void defaultsAreTransformersAndTheTableIsPrepsOutput() throws IOException {
        TrainConfig t = load(MINIMAL).train();
        assertEquals("/models/qwen3", t.modelPath());
        assertEquals("/tables/qwen3_sft", t.table());
        assertEquals("/runs/qwen3-lora", t.outputDir());
        assertEquals(FinetuningType.LORA, t.finetuning().type());
        assertEquals(8, t.finetuning().lora().rank());
        assertEquals(16.0, t.finetuning().lora().alpha());
        assertEquals(5e-5, t.optimizer().adamW().lr());
        assertEquals(LrSchedule.Type.COSINE, t.schedule().scheduler());
        assertEquals(1.0, t.optimizer().maxGradNorm());
        assertEquals(3.0, t.schedule().epochs());
        assertEquals(0, t.schedule().maxSteps(), "max_steps -1 = use the epochs");
        assertEquals(42, t.seed(), "train.seed follows data.seed");
        assertEquals(500, t.checkpointing().saveSteps());
        assertEquals(Sharding.AUTO, t.parallelism().sharding(), "resolved at launch against the memory budget");
        assertEquals(1, t.parallelism().worldSize());
        assertEquals(77, load(MINIMAL, "data.seed=77").train().seed());
    }

    @Test
    void theTrainVerbNamesEveryRequiredKey() {
        ConfigException e =
                assertThrows(ConfigException.class, () -> SparkTuneConfig.load(ConfigSources.defaults(), Verb.TRAIN));
        assertEquals(
                List.of("sparktune.model.model_name_or_path", "sparktune.train.table", "sparktune.train.output_dir"),
                e.problems().stream().map(ConfigProblem::keyPath).toList(),
                e.getMessage());
        assertTrue(e.getMessage().contains("required by train"), e.getMessage());
    }

    @Test
    void badValuesNameTheKeyAndWhatIsAllowed() {
        ConfigException e = failure(
                MINIMAL,
                "train.fsdp=\"full_shard offload\"",
                "train.learning_rate=-1",
                "train.lora_target=q_proj,qq_proj",
                "train.finetuning_type=partial",
                "train.warmup_ratio=1.5",
                "train.resume_from_checkpoint=/runs/x/checkpoint-5",
                "train.overwrite_output_dir=true");
        String m = e.getMessage();
        assertTrue(
                m.contains("sparktune.train.fsdp: invalid value \"full_shard offload\"")
                        && m.contains("CPU offload is not available"),
                m);
        assertTrue(m.contains("sparktune.train.learning_rate: invalid value -1; allowed: a number > 0"), m);
        // LoraConfig's message, under its key and without repeating it
        assertTrue(m.contains("sparktune.train.lora_target: \"qq_proj\" is not a projection"), m);
        assertTrue(
                m.contains(
                        "sparktune.train.finetuning_type: invalid value \"partial\"; allowed: lora, freeze, " + "full"),
                m);
        assertTrue(m.contains("sparktune.train.warmup_ratio: invalid value 1.5; allowed: a number in [0, 1)"), m);
        assertTrue(
                m.contains("sparktune.train.resume_from_checkpoint: cannot be set together with "
                        + "overwrite_output_dir"),
                m);
        assertEquals(6, e.problems().size(), m);
    }

    @Test
    void freezeLoraPlusAndCheckpointingSettingsReachTheTrainer() throws IOException {
        TrainConfig freeze = load(
                        MINIMAL,
                        "train.finetuning_type=freeze",
                        "train.freeze_trainable_layers=-3",
                        "train.freeze_trainable_modules=\"mlp,self_attn\"",
                        "train.freeze_extra_modules=embed_tokens")
                .train();
        assertEquals(FinetuningType.FREEZE, freeze.finetuning().type());
        assertEquals(
                new FreezeConfig(-3, List.of("mlp", "self_attn"), List.of("embed_tokens")),
                freeze.finetuning().freeze());
        assertEquals(
                16.0,
                load(MINIMAL, "train.loraplus_lr_ratio=16").train().finetuning().loraplusLrRatio());
        assertTrue(!load(MINIMAL, "train.gradient_checkpointing=false")
                .train()
                .activations()
                .gradientCheckpointing());
        assertTrue(load(MINIMAL).train().activations().gradientCheckpointing(), "on by default, as in LLaMA-Factory");
        assertEquals(
                9.89e14,
                load(MINIMAL, "train.peak_flops_per_rank=9.89e14")
                        .train()
                        .metrics()
                        .peakFlopsPerRank());
        assertEquals(0.0, load(MINIMAL).train().metrics().peakFlopsPerRank(), "0: measured at the start of training");

        String m = failure(MINIMAL, "train.finetuning_type=full", "train.loraplus_lr_ratio=16")
                .getMessage();
        assertTrue(m.contains("sparktune.train.loraplus_lr_ratio: applies to finetuning_type = lora only"), m);
        m = failure(MINIMAL, "train.finetuning_type=freeze", "train.freeze_trainable_layers=0")
                .getMessage();
        assertTrue(
                m.contains("sparktune.train.freeze_trainable_layers: freeze_trainable_layers = 0 and no "
                        + "freeze_extra_modules would train nothing"),
                m);
        m = failure(MINIMAL, "train.finetuning_type=freeze", "train.fsdp=full_shard")
                .getMessage();
        assertTrue(
                m.contains("sparktune.train.fsdp: full_shard is for finetuning_type = full or lora; for "
                        + "freeze use shard_grad_op"),
                m);
    }

    @Test
    void fullShardIsForFullAndLoraFineTuning() throws IOException {
        assertEquals(
                Sharding.FULL_SHARD,
                load(MINIMAL, "train.fsdp=full_shard", "train.finetuning_type=full")
                        .train()
                        .parallelism()
                        .sharding());
        assertEquals(
                Sharding.FULL_SHARD,
                load(MINIMAL, "train.fsdp=full_shard", "train.finetuning_type=lora")
                        .train()
                        .parallelism()
                        .sharding());
        ConfigException e = failure(MINIMAL, "train.fsdp=full_shard", "train.finetuning_type=freeze");
        assertTrue(
                e.getMessage().contains("sparktune.train.fsdp: full_shard is for finetuning_type = full or " + "lora"),
                e.getMessage());
    }

    @Test
    void transformersFsdpStringsAreAccepted() throws IOException {
        assertEquals(
                Sharding.SHARD_GRAD_OP,
                load(MINIMAL, "train.fsdp=\"shard_grad_op auto_wrap\"")
                        .train()
                        .parallelism()
                        .sharding());
        assertEquals(
                Sharding.FULL_SHARD,
                load(MINIMAL, "train.fsdp=\"full_shard auto_wrap\"", "train.finetuning_type=full")
                        .train()
                        .parallelism()
                        .sharding());
        assertEquals(
                Sharding.NO_SHARD,
                load(MINIMAL, "train.fsdp=\"\"").train().parallelism().sharding());
        assertEquals(
                Sharding.AUTO,
                load(MINIMAL, "train.fsdp=auto", "train.finetuning_type=freeze")
                        .train()
                        .parallelism()
                        .sharding());
    }

    @Test
    void aLlamaFactoryYamlMapsItsTrainingArguments() throws IOException {
        Path yaml = Files.writeString(dir.resolve("qwen3_lora_sft.yaml"), """
                model_name_or_path: /models/qwen3
                stage: sft
                do_train: true
                finetuning_type: lora
                lora_rank: 16
                lora_alpha: 32
                lora_target: all
                dataset: identity,alpaca_en_demo
                template: qwen3
                cutoff_len: 2048
                tokenized_path: /tables/qwen3_sft
                output_dir: saves/qwen3/lora/sft
                logging_steps: 5
                save_steps: 100
                per_device_train_batch_size: 2
                gradient_accumulation_steps: 4
                learning_rate: 1.0e-4
                num_train_epochs: 2.0
                lr_scheduler_type: linear
                warmup_ratio: 0.1
                bf16: true
                ddp_timeout: 180000000
                resume_from_checkpoint: null
                seed: 7
                """);
        SparkTuneConfig config = SparkTuneConfig.load(ConfigSources.of(yaml, List.of()), Verb.TRAIN);
        TrainConfig t = config.train();
        assertEquals(16, t.finetuning().lora().rank());
        assertEquals(32.0, t.finetuning().lora().alpha());
        assertEquals("saves/qwen3/lora/sft", t.outputDir());
        assertEquals("/tables/qwen3_sft", t.table());
        assertEquals(5, t.metrics().loggingSteps());
        assertEquals(100, t.checkpointing().saveSteps());
        assertEquals(2, t.batch().perDeviceRows());
        assertEquals(4, t.batch().gradientAccumulation());
        assertEquals(1e-4, t.optimizer().adamW().lr());
        assertEquals(2.0, t.schedule().epochs());
        assertEquals(LrSchedule.Type.LINEAR, t.schedule().scheduler());
        assertEquals(0.1, t.schedule().warmupRatio());
        assertEquals(7, t.seed());
        assertEquals("", t.checkpointing().resumeFromCheckpoint());
        assertTrue(
                config.warnings().stream().anyMatch(w -> w.toString().contains("bf16")),
                config.warnings().toString());

        Path dora = Files.writeString(dir.resolve("dora.yaml"), """
                model_name_or_path: /models/qwen3
                output_dir: out
                tokenized_path: /tables/t
                use_dora: true
                optim: adamw_torch
                """);
        ConfigException e = assertThrows(
                ConfigException.class, () -> SparkTuneConfig.load(ConfigSources.of(dora, List.of()), Verb.TRAIN));
        assertEquals(1, e.problems().size(), e.getMessage());
        assertTrue(
                e.getMessage()
                        .contains("use_dora: LLaMA-Factory argument not supported by SparkTune train (it "
                                + "would change what is trained); allowed: false (its default), got true"),
                e.getMessage());
    }
}
