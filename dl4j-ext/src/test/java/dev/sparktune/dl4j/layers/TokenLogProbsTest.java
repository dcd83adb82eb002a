package dev.sparktune.dl4j.layers;

import static dev.sparktune.dl4j.layers.ActivationCheckpointingTest.B;
import static dev.sparktune.dl4j.layers.ActivationCheckpointingTest.T;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelInit;
import dev.sparktune.dl4j.params.ParamLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The model's token log-probs (a preference loss's forward, the reference pass) and the backward of any loss of them:
 * cross-entropy is the loss −Σ log-probs / count, so {@code tokenLogProbs} then {@code backwardTokenLogProbs} with
 * dLoss/d(log-prob) = −1/count must give forwardBackward's gradients bit for bit (the lm_head kernel itself is checked
 * against torch in LayerGoldenTest, case lmhead_logps), with and without activation checkpointing, over
 * ActivationCheckpointingTest's two micro-batches accumulated.
 */
class TokenLogProbsTest {
    @Test
    void crossEntropyThroughTokenLogProbsIsForwardBackwardBitForBit() {
        ModelConfig config = ActivationCheckpointingTest.qwen2(3);
        HfModelDir.Loaded model = ModelInit.random(config, 5, 0.2);
        ParamLayout all = model.layout();
        for (boolean checkpointing : new boolean[] {false, true}) {
            INDArray viaLoss = all.allocate();
            INDArray viaLogProbs = all.allocate();
            CausalLm a = ActivationCheckpointingTest.modelForBatches(
                    config,
                    new LayerParams(all, model.params(), all, viaLoss, ""),
                    Projection.Factory.PLAIN,
                    checkpointing);
            CausalLm b = ActivationCheckpointingTest.modelForBatches(
                    config,
                    new LayerParams(all, model.params(), all, viaLogProbs, ""),
                    Projection.Factory.PLAIN,
                    checkpointing);
            double count = 60;
            for (ActivationCheckpointingTest.MicroBatch m : ActivationCheckpointingTest.BATCHES) {
                int[] ids = m.ids();
                int[] targets = m.targets();
                PackedBatch packed = m.packed();
                double loss = a.forwardBackward(ids, targets, packed, count);

                double[] logps = new double[B * T];
                b.tokenLogProbs(ids, targets, packed, logps);
                double[] dLogps = new double[B * T];
                for (int i = 0; i < targets.length; i++) {
                    assertTrue(targets[i] != LmHeadLoss.IGNORE ? logps[i] < 0 : logps[i] == 0, "row " + i);
                    dLogps[i] = targets[i] == LmHeadLoss.IGNORE ? 0 : -1 / count;
                }
                assertEquals(loss, -Arrays.stream(logps).sum() / count, 1e-12, "loss = −Σ log-probs / count");
                b.backwardTokenLogProbs(dLogps);
            }
            assertArrayEquals(
                    viaLoss.data().asFloat(),
                    viaLogProbs.data().asFloat(),
                    "checkpointing " + checkpointing + ": the same gradients");
            assertTrue(viaLoss.norm2Number().doubleValue() > 0);
            assertThrows(
                    IllegalStateException.class,
                    () -> b.backwardTokenLogProbs(new double[B * T]),
                    "one backward per tokenLogProbs");
        }
    }
}
