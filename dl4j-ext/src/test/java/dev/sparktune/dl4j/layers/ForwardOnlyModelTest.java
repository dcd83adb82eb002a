package dev.sparktune.dl4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.layers.ActivationCheckpointingTest.MicroBatch;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelInit;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The reference pass's model: a forward-only model gives bit-identical token log-probs, losses and logits to a model
 * that keeps every layer's activations, over micro-batches of different packings (a layer's output sits in the
 * buffers the next layer reuses, so an aliasing mistake would show here), from fp32 and bf16-stored weights, while
 * holding one layer's kept activations whatever the depth; and it refuses a backward.
 */
class ForwardOnlyModelTest {
    private static final int B = ActivationCheckpointingTest.B;
    private static final int T = ActivationCheckpointingTest.T;

    @Test
    void logProbsAreBitIdenticalToTheFullForwardWithOneLayersActivations() {
        ModelConfig config = ActivationCheckpointingTest.qwen2(4);
        HfModelDir.Loaded fp32 = ModelInit.random(config, 11, 0.2);
        HfModelDir.Loaded bf16 =
                new HfModelDir.Loaded(config, fp32.layout(), fp32.params().castTo(DataType.BFLOAT16));
        for (HfModelDir.Loaded model : new HfModelDir.Loaded[] {fp32, bf16}) {
            String what = "weights in " + model.params().dataType();
            CausalLm full = CausalLm.overFrozen(model, Projection.Factory.PLAIN, B, T, 16);
            CausalLm forwardOnly = CausalLm.forwardOnly(model, B, T, 16);
            for (MicroBatch m : ActivationCheckpointingTest.BATCHES) {
                double[] expected = new double[B * T];
                double[] actual = new double[B * T];
                full.tokenLogProbs(m.ids(), m.targets(), m.packed(), expected);
                forwardOnly.tokenLogProbs(m.ids(), m.targets(), m.packed(), actual);
                assertTrue(Arrays.stream(expected).anyMatch(x -> x < 0), what + ": some tokens are scored");
                assertArrayEquals(expected, actual, what + ": token log-probs");
                assertEquals(
                        full.loss(m.ids(), m.targets(), m.packed(), 60),
                        forwardOnly.loss(m.ids(), m.targets(), m.packed(), 60),
                        what + ": loss");
                assertArrayEquals(
                        full.logits(m.ids(), m.packed()).ravel().toFloatVector(),
                        forwardOnly.logits(m.ids(), m.packed()).ravel().toFloatVector(),
                        what + ": logits");
            }
            long input = 4L * B * T * config.hiddenSize();
            assertEquals(full.keptBytesPerLayer(), forwardOnly.keptBytesPerLayer(), what + ": one layer's kept set");
            assertEquals(
                    full.activationBytes() - (config.numLayers() - 1) * full.keptBytesPerLayer() + input,
                    forwardOnly.activationBytes(),
                    what + ": one shared kept set and one input buffer instead of four kept sets");
            System.out.printf(
                    "[ForwardOnlyModelTest] %s, 4 layers, B=%d T=%d: activations %d B kept for backward, %d B "
                            + "forward-only%n",
                    what, B, T, full.activationBytes(), forwardOnly.activationBytes());
        }
    }

    @Test
    void aForwardOnlyModelRefusesABackward() {
        CausalLm lm = CausalLm.forwardOnly(ModelInit.random(ActivationCheckpointingTest.qwen2(2), 12, 0.2), B, T, 16);
        MicroBatch m = ActivationCheckpointingTest.BATCHES[0];
        lm.tokenLogProbs(m.ids(), m.targets(), m.packed(), new double[B * T]);
        String message = assertThrows(IllegalStateException.class, () -> lm.backwardTokenLogProbs(new double[B * T]))
                .getMessage();
        assertTrue(message.contains("forward-only"), message);
        assertThrows(IllegalStateException.class, () -> lm.forwardBackward(m.ids(), m.targets(), m.packed(), 60));
    }
}
