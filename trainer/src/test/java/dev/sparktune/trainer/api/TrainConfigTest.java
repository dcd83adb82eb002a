package dev.sparktune.trainer.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.preprocess.api.SettingProblems;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The rules between training settings are TrainConfig's alone (the HOCON reader reports what it throws under its own
 * key paths): every broken rule comes back at once, each under the LLaMA-Factory / transformers key it is about.
 */
class TrainConfigTest {
    private static TrainConfig.Builder valid() {
        return TrainConfig.builder().modelPath("m").table("t").outputDir("o");
    }

    private static Map<String, String> problems(TrainConfig.Builder builder) {
        TrainConfigException e = assertThrows(TrainConfigException.class, builder::build);
        return e.problems().stream()
                .collect(Collectors.toMap(SettingProblems.Problem::key, SettingProblems.Problem::message));
    }

    @Test
    void everyBrokenRuleIsReportedUnderItsKey() {
        Map<String, String> p = problems(valid().finetuningType(FinetuningType.FREEZE)
                .freeze(0, "all", "")
                .sharding(Sharding.FULL_SHARD)
                .loraplusLrRatio(16)
                .epochs(0)
                .maxSteps(0)
                .overwriteOutputDir(true)
                .resumeFromCheckpoint("/runs/x/checkpoint-5")
                .adam(0.9, 1.5, 1e-8));
        assertEquals(
                List.of(
                        "adam_beta2",
                        "freeze_trainable_layers",
                        "fsdp",
                        "loraplus_lr_ratio",
                        "num_train_epochs",
                        "resume_from_checkpoint"),
                p.keySet().stream().sorted().toList(),
                p.toString());
        assertTrue(p.get("fsdp").startsWith("full_shard is for finetuning_type = full or lora"), p.get("fsdp"));
        assertTrue(p.get("loraplus_lr_ratio").contains("set it to 0 for freeze"), p.get("loraplus_lr_ratio"));
        assertTrue(p.get("freeze_trainable_layers").contains("would train nothing"), p.toString());
        assertTrue(p.get("num_train_epochs").contains("unless max_steps is set"), p.toString());
        assertEquals("invalid value 1.5; allowed: a number in [0, 1)", p.get("adam_beta2"), p.toString());
    }

    /** Each value's range is the builder's rule alone (the config readers only parse): a program gets them too. */
    @Test
    void everyValueOutsideItsRangeIsReportedWithWhatIsAllowed() {
        Map<String, String> p = problems(valid().lora(5000, 16, 0, "all", false)
                .warmupSteps(-1)
                .warmupRatio(1)
                .worldSize(0)
                .maxSteps(-2)
                .peakFlopsPerRank(Double.POSITIVE_INFINITY));
        assertEquals(
                Map.of(
                        "lora_rank", "invalid value 5000; allowed: a whole number in [1, 4096]",
                        "warmup_steps", "invalid value -1; allowed: a whole number >= 0",
                        "warmup_ratio", "invalid value 1.0; allowed: a number in [0, 1)",
                        "world_size", "invalid value 0; allowed: a whole number in [1, 4096]",
                        "max_steps", "invalid value -2; allowed: a whole number >= -1",
                        "peak_flops_per_rank", "invalid value Infinity; allowed: a number >= 0"),
                p);
        // max_steps = -1 is transformers' "no limit", as 0 is
        assertEquals(0, valid().maxSteps(-1).build().schedule().maxSteps());
    }

    @Test
    void aPartsOwnCheckGoesUnderTheKeyItsMessageNames() {
        Map<String, String> p = problems(valid().lora(8, 16, 0, "q_proj,qq_proj", false));
        assertEquals(List.of("lora_target"), List.copyOf(p.keySet()));
        assertTrue(p.get("lora_target").contains("\"qq_proj\" is not a projection"), p.toString());
        p = problems(valid().finetuningType(FinetuningType.FREEZE).freeze(2, " , ", ""));
        assertEquals(List.of("freeze_trainable_modules"), List.copyOf(p.keySet()), p.toString());
        p = problems(valid().learningRate(Double.NaN));
        assertEquals(List.of("learning_rate"), List.copyOf(p.keySet()), p.toString());
    }

    @Test
    void aValidConfigBuilds() {
        TrainConfig c = valid().finetuningType(FinetuningType.FREEZE)
                .freeze(0, "all", "embed_tokens")
                .sharding(Sharding.SHARD_GRAD_OP)
                .maxSteps(3)
                .epochs(0)
                .build();
        assertEquals(3, c.schedule().maxSteps());
        assertEquals(Sharding.AUTO, valid().build().parallelism().sharding(), "resolved at launch");
    }
}
