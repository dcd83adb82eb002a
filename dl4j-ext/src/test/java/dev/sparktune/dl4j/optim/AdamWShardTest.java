package dev.sparktune.dl4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.safetensors.NativeArrays;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * ZeRO's premise: AdamW updating disjoint shards separately (shard boundaries cutting through parameters, some with
 * weight decay, some without) gives bit-identical parameters to one full update.
 */
class AdamWShardTest {
    /**
     * A shard beyond the first 2 GiB of the flat buffers (a 0.6B model's fp32 parameters are 2.4 GB): the windows
     * AdamW reads through must start at their own address (an NIO buffer's capacity is an int). The buffers are
     * never written outside the shard, so their pages stay unallocated.
     */
    @Test
    void aShardBeyondTwoGibibytesUpdatesItsOwnElements() {
        long far = (3L << 30) / 4; // 3 GiB into the buffer
        ParamLayout layout = ParamLayout.builder().add("w", far + 16).build();
        AdamWConfig cfg = new AdamWConfig(1e-2, 0.9, 0.95, 1e-8, 0.0);
        INDArray params = NativeArrays.uninitialized(DataType.FLOAT, far + 16);
        INDArray grads = NativeArrays.uninitialized(DataType.FLOAT, far + 16);
        INDArray p = params.get(NDArrayIndex.interval(far, far + 16));
        INDArray g = grads.get(NDArrayIndex.interval(far, far + 16));
        p.assign(Nd4j.linspace(DataType.FLOAT, 1, 16, 16));
        g.assign(Nd4j.linspace(DataType.FLOAT, -8, 7, 16));
        INDArray expectedParams = p.dup();
        new AdamW(layout, cfg, AdamW.decayMatrices(), AdamW.sameLr(), far, far + 16).step(params, grads, 1e-2);
        // first step: m = 0.1 g, v = 0.05 g², bias-corrected to g and g², so each element moves by -lr·sign(g)
        INDArray expected = expectedParams.sub(Transforms.sign(g).muli(1e-2));
        assertArrayEquals(expected.toFloatVector(), p.toFloatVector(), 1e-6f);
    }

    @Test
    void shardsUpdatedSeparatelyEqualOneFullUpdate() {
        ParamLayout layout = ParamLayout.builder()
                .add("w1", 5, 3)
                .add("norm", 7)
                .add("w2", 4, 4)
                .add("bias", 3)
                .build();
        AdamWConfig cfg = new AdamWConfig(1e-2, 0.9, 0.95, 1e-8, 0.1);
        INDArray full = Nd4j.rand(DataType.FLOAT, layout.totalLength()).subi(0.5);
        INDArray sharded = full.dup();
        AdamW whole = new AdamW(layout, cfg, AdamW.decayMatrices());
        long[] cuts = {0, 9, 20, 20, layout.totalLength()}; // includes an empty shard
        AdamW[] parts = new AdamW[cuts.length - 1];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = new AdamW(layout, cfg, AdamW.decayMatrices(), AdamW.sameLr(), cuts[i], cuts[i + 1]);
        }
        for (int step = 0; step < 5; step++) {
            INDArray grads =
                    Nd4j.rand(DataType.FLOAT, layout.totalLength()).subi(0.5).muli(step + 1);
            whole.step(full, grads, 1e-2 * (step + 1));
            for (AdamW part : parts) {
                part.step(sharded, grads, 1e-2 * (step + 1));
            }
        }
        assertArrayEquals(full.toFloatVector(), sharded.toFloatVector());
        assertThrows(IllegalStateException.class, () -> parts[0].saveState(Path.of("unused")));
        assertThrows(
                IllegalArgumentException.class,
                () -> new AdamW(layout, cfg, AdamW.decayMatrices(), AdamW.sameLr(), 5, layout.totalLength() + 1));
    }
}
