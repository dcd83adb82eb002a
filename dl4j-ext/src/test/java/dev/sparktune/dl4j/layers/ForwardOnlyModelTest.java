package dev.sparktune.dl4j.layers;

import static dev.sparktune.dl4j.layers.ActivationCheckpointingTest.B;
import static dev.sparktune.dl4j.layers.ActivationCheckpointingTest.T;
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
 * The reference pass's model: a forward-only model gives the logits of a model that keeps every layer's activations
 * bit for bit (its decoder layers share their buffers: a layer's output sits in the buffers the next layer reuses,
 * so an aliasing mistake would show here), and the same token log-probs and losses up to float rounding (its lm_head
 * scores only the tokens with a target, gathered), over micro-batches of different packings, from fp32 and
 * bf16-stored weights, while holding one layer's kept activations whatever the depth; and it refuses a backward.
 */
class ForwardOnlyModelTest {
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
                for (int i = 0; i < expected.length; i++) {
                    if (m.targets()[i] == LmHeadLoss.IGNORE) {
                        assertEquals(0.0, actual[i], what + ": no log-prob without a target, token " + i);
                    } else {
                        // float32 logits summed in another order: a few ulps of a log-prob of about -5
                        assertEquals(expected[i], actual[i], 1e-5, what + ": token " + i);
                    }
                }
                double loss = full.loss(m.ids(), m.targets(), m.packed(), 60);
                assertEquals(loss, forwardOnly.loss(m.ids(), m.targets(), m.packed(), 60), 1e-6 * loss, what);
                assertArrayEquals(
                        full.logits(m.ids(), m.packed()).ravel().toFloatVector(),
                        forwardOnly.logits(m.ids(), m.packed()).ravel().toFloatVector(),
                        what + ": logits");
            }
            long input = 4L * B * T * config.hiddenSize();
            long gathered = 4L * 16 * config.hiddenSize(); // the lm_head's chunk of 16 rows with a target
            assertEquals(full.keptBytesPerLayer(), forwardOnly.keptBytesPerLayer(), what + ": one layer's kept set");
            assertEquals(
                    full.activationBytes() - (config.numLayers() - 1) * full.keptBytesPerLayer() + input + gathered,
                    forwardOnly.activationBytes(),
                    what + ": one shared kept set, one input buffer and the gathered chunk instead of four kept sets");
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
