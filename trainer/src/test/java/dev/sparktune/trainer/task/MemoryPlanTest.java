package dev.sparktune.trainer.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelWeights;
import dev.sparktune.dl4j.testkit.TinyModels;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.api.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The memory plan a launch is checked against equals, byte for byte and kind by kind, what rank 0 of a built run
 * holds: full, freeze and lora; no_shard, shard_grad_op and full_shard where allowed; with and without gradient
 * checkpointing; 1 and 2 ranks (and 3, whose shards are uneven); weights held in fp32 and in bf16.
 */
class MemoryPlanTest {
    @Test
    void planEqualsWhatRankZeroHoldsInEveryMode() throws Exception {
        checkEveryMode(TinyModels.toyQwen3Weights());
    }

    /** Qwen3-MoE: the experts sharded with their layer, the routed rows' activations. */
    @Test
    void planEqualsWhatRankZeroHoldsInEveryModeForQwen3Moe() throws Exception {
        checkEveryMode(TinyModels.toyQwen3MoeWeights());
    }

    private static void checkEveryMode(HfModelDir.Loaded fp32) throws Exception {
        ModelConfig model = fp32.config();
        HfModelDir.Loaded bf16 =
                new HfModelDir.Loaded(model, fp32.layout(), fp32.params().castTo(DataType.BFLOAT16));
        List<String> checked = new ArrayList<>();
        for (FinetuningType type : FinetuningType.values()) {
            for (Sharding sharding : Sharding.modes()) {
                if (type == FinetuningType.FREEZE && sharding == Sharding.FULL_SHARD) {
                    continue; // refused by TrainConfig
                }
                for (int world : new int[] {1, 2, 3}) {
                    for (boolean checkpointing : new boolean[] {true, false}) {
                        for (HfModelDir.Loaded weights : List.of(fp32, bf16)) {
                            TrainConfig cfg = TrainEquivalenceTest.config(type, world, sharding).toBuilder()
                                    .gradientCheckpointing(checkpointing)
                                    .freeze(1, "all", "norm")
                                    .build();
                            Supplier<ModelWeights> base = () -> weights;
                            HeldBytes held = TrainEquivalenceTest.onRanks(cfg, base, (t, p) -> t.heldBytes())
                                    .get(0);
                            MemoryPlan plan = MemoryPlan.of(
                                    cfg,
                                    model,
                                    weights.storedDataType(),
                                    cfg.batch().perDeviceRows(),
                                    TrainEquivalenceTest.SEQ);
                            String what = type.key() + " " + sharding.key() + " " + world + " ranks checkpointing="
                                    + checkpointing + " " + weights.storedDataType();
                            assertEquals(held, plan.held(), what);
                            checked.add(what);
                        }
                    }
                }
            }
        }
        assertEquals((3 + 3 + 2) * 3 * 2 * 2, checked.size());
    }
}
