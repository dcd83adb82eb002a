package dev.sparktune.trainer.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.model.HfConfigWriter;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelWeights;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.safetensors.SafetensorsWriter;
import dev.sparktune.dl4j.safetensors.TensorDType;
import dev.sparktune.dl4j.testkit.TinyModels;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.api.TrainConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A bf16 checkpoint's frozen weights stay bf16 in memory under lora and freeze (every fsdp mode that allows them,
 * 1 and 2 ranks) and give bit-identical losses, gradient norms and trained parameters to the same values held in
 * fp32, while holding fewer bytes.
 */
class NarrowBaseTrainingTest {
    @TempDir
    static Path dir;

    static Path bf16;

    /** The equivalence test's model, stored as a bf16 checkpoint (values rounded once, when written). */
    @BeforeAll
    static void writeBf16Checkpoint() {
        HfModelDir.Loaded model = TinyModels.toyQwen3Weights();
        bf16 = dir.resolve("bf16");
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        for (ParamLayout.Entry e : model.layout().entries()) {
            tensors.put(e.name(), model.layout().view(model.params(), e.name()));
        }
        SafetensorsWriter.builder()
                .dtype(TensorDType.BF16)
                .maxShardBytes(20_000)
                .build()
                .write(bf16, tensors);
        HfConfigWriter.write(model.config(), bf16);
    }

    private static ModelWeights stored() {
        HfModelDir.Stored stored = HfModelDir.open(bf16);
        assertEquals(DataType.BFLOAT16, stored.storedDataType(), "the checkpoint is bf16");
        return stored;
    }

    /** The same bf16 values, widened to fp32 at load: the path every frozen weight took before. */
    private static ModelWeights widened() {
        return HfModelDir.open(bf16).load();
    }

    @Test
    void loraAndFreezeOnABf16BaseAreBitIdenticalToFp32() throws Exception {
        TrainConfig lora = TrainEquivalenceTest.config(FinetuningType.LORA, 1, Sharding.NO_SHARD);
        TrainConfig freeze = TrainEquivalenceTest.config(FinetuningType.FREEZE, 1, Sharding.NO_SHARD).toBuilder()
                .freeze(1, "all", "norm")
                .learningRate(3e-3)
                .build();
        for (TrainConfig base : new TrainConfig[] {lora, freeze}) {
            TrainConfig[] variants = base.finetuning().type() == FinetuningType.LORA
                    ? new TrainConfig[] {
                        base,
                        base.toBuilder()
                                .worldSize(2)
                                .sharding(Sharding.SHARD_GRAD_OP)
                                .build(),
                        base.toBuilder()
                                .worldSize(2)
                                .sharding(Sharding.FULL_SHARD)
                                .build(),
                        base.toBuilder().gradientCheckpointing(false).build()
                    }
                    : new TrainConfig[] {
                        base,
                        base.toBuilder()
                                .worldSize(2)
                                .sharding(Sharding.SHARD_GRAD_OP)
                                .build()
                    };
            for (TrainConfig cfg : variants) {
                String what =
                        cfg.finetuning().type().key() + ", " + cfg.parallelism().worldSize() + " rank(s), "
                                + cfg.parallelism().sharding().key() + ", checkpointing "
                                + cfg.activations().gradientCheckpointing();
                TrainEquivalenceTest.Run fp32 = TrainEquivalenceTest.train(cfg, NarrowBaseTrainingTest::widened);
                TrainEquivalenceTest.Run narrow = TrainEquivalenceTest.train(cfg, NarrowBaseTrainingTest::stored);
                assertTrue(fp32.losses()[fp32.losses().length - 1] < fp32.losses()[0], what + ": the loss falls");
                assertArrayEquals(fp32.losses(), narrow.losses(), what + ": losses");
                assertArrayEquals(fp32.gradNorms(), narrow.gradNorms(), what + ": gradient norms");
                assertArrayEquals(fp32.finalParams(), narrow.finalParams(), what + ": trained parameters");
                assertEquals(0, fp32.held().narrowParams(), what);
                assertTrue(
                        narrow.held().narrowParams() > 0
                                && narrow.held().params() < fp32.held().params(),
                        what + ": bf16 holds fewer bytes: " + narrow.held() + " vs " + fp32.held());
            }
        }
    }
}
