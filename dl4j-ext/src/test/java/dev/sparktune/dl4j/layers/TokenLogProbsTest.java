package dev.sparktune.dl4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelInit;
import dev.sparktune.dl4j.params.ParamLayout;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The model's token log-probs (a preference loss's forward, the reference pass) and the backward of any loss of them:
 * cross-entropy is the loss −Σ log-probs / count, so {@code tokenLogProbs} then {@code backwardTokenLogProbs} with
 * dLoss/d(log-prob) = −1/count must give forwardBackward's gradients bit for bit (the lm_head kernel itself is checked
 * against torch in LayerGoldenTest, case lmhead_logps), with and without activation checkpointing, over two
 * micro-batches accumulated.
 */
class TokenLogProbsTest {
    static final int B = 2;
    static final int T = 24;

    @Test
    void crossEntropyThroughTokenLogProbsIsForwardBackwardBitForBit() {
        ModelConfig config = ActivationCheckpointingTest.qwen2(3);
        HfModelDir.Loaded model = ModelInit.random(config, 5, 0.2);
        ParamLayout all = model.layout();
        for (boolean checkpointing : new boolean[] {false, true}) {
            INDArray viaLoss = all.allocate();
            INDArray viaLogProbs = all.allocate();
            CausalLm a = new CausalLm(
                    config,
                    new LayerParams(all, model.params(), all, viaLoss, ""),
                    null,
                    B,
                    T,
                    16,
                    Projection.Factory.PLAIN,
                    LayerHooks.NONE,
                    checkpointing);
            CausalLm b = new CausalLm(
                    config,
                    new LayerParams(all, model.params(), all, viaLogProbs, ""),
                    null,
                    B,
                    T,
                    16,
                    Projection.Factory.PLAIN,
                    LayerHooks.NONE,
                    checkpointing);
            double count = 60;
            int[][][] packings = {{{10, 14}, {24}}, {{5, 7, 12}, {20}}};
            for (int m = 0; m < packings.length; m++) {
                Random r = new Random(m + 1);
                PackedBatch packed = PackedBatch.fromDocLens(T, packings[m]);
                int[] ids = new int[B * T];
                int[] labels = new int[B * T];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = r.nextInt(96);
                    labels[i] = r.nextInt(5) == 0 ? LmHeadLoss.IGNORE : ids[i];
                }
                int[] targets = CausalLm.targets(labels, packed);
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
