package dev.sparktune.dl4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparktune.dl4j.params.ParamLayout;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ZeRO's premise: AdamW updating disjoint shards separately (shard boundaries cutting through parameters, some with
 * weight decay, some without) gives bit-identical parameters to one full update.
 */
class AdamWShardTest {
    @Test
    void shardsUpdatedSeparatelyEqualOneFullUpdate() {
        ParamLayout layout = ParamLayout.builder().add("w1", 5, 3).add("norm", 7).add("w2", 4, 4).add("bias", 3)
                .build();
        AdamWConfig cfg = new AdamWConfig(1e-2, 0.9, 0.95, 1e-8, 0.1);
        INDArray full = Nd4j.rand(DataType.FLOAT, layout.totalLength()).subi(0.5);
        INDArray sharded = full.dup();
        AdamW whole = new AdamW(layout, cfg, AdamW.decayMatrices());
        long[] cuts = {0, 9, 20, 20, layout.totalLength()};  // includes an empty shard
        AdamW[] parts = new AdamW[cuts.length - 1];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = AdamW.sharded(layout, cfg, AdamW.decayMatrices(), cuts[i], cuts[i + 1]);
        }
        for (int step = 0; step < 5; step++) {
            INDArray grads = Nd4j.rand(DataType.FLOAT, layout.totalLength()).subi(0.5).muli(step + 1);
            whole.step(full, grads, 1e-2 * (step + 1));
            for (AdamW part : parts) {
                part.step(sharded, grads, 1e-2 * (step + 1));
            }
        }
        assertArrayEquals(full.toFloatVector(), sharded.toFloatVector());
        assertThrows(IllegalStateException.class, () -> parts[0].saveState(java.nio.file.Path.of("unused")));
        assertThrows(IllegalArgumentException.class,
                () -> AdamW.sharded(layout, cfg, AdamW.decayMatrices(), 5, layout.totalLength() + 1));
    }
}
