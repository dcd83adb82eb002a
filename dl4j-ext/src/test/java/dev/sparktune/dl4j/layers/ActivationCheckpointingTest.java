package dev.sparktune.dl4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelInit;
import dev.sparktune.dl4j.params.ParamLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Activation checkpointing recomputes each decoder layer's forward in backward from its saved input, with all layers
 * sharing one set of activation buffers: losses and every gradient must be bit-identical to a run without it, over
 * several micro-batches of different packings (gradient accumulation), for full, freeze and LoRA-with-dropout
 * training, while holding fewer activation bytes.
 */
class ActivationCheckpointingTest {
    static final int B = 2;
    static final int T = 24;

    /** Qwen2: q/k/v biases, so frozen and trained layers differ in what their linears hold. */
    static ModelConfig qwen2(int layers) {
        return HfConfigReader.parse("""
                {"architectures": ["Qwen2ForCausalLM"], "vocab_size": 96, "hidden_size": 32,
                 "intermediate_size": 48, "num_hidden_layers": %d, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "tie_word_embeddings": false, "max_position_embeddings": 64}""".formatted(layers), "test");
    }

    record MicroBatch(int[] ids, int[] targets, PackedBatch packed) {
        static MicroBatch random(Random r, int[][] docLens) {
            PackedBatch packed = PackedBatch.fromDocLens(T, docLens);
            int[] ids = new int[B * T];
            int[] labels = new int[B * T];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = r.nextInt(96);
                labels[i] = r.nextInt(5) == 0 ? LmHeadLoss.IGNORE : ids[i];
            }
            return new MicroBatch(ids, CausalLm.targets(labels, packed), packed);
        }
    }

    static final MicroBatch[] BATCHES = {
        MicroBatch.random(new Random(1), new int[][] {{10, 14}, {24}}),
        MicroBatch.random(new Random(2), new int[][] {{5, 7, 12}, {20}}),
    };

    /** A model sized for {@link #BATCHES} (B × T rows, 16-token loss chunks) over {@code root}'s parameters. */
    static CausalLm modelForBatches(
            ModelConfig config, LayerParams root, Projection.Factory projections, boolean checkpointing) {
        return new CausalLm(config, root, null, B, T, 16, projections, LayerHooks.NONE, checkpointing);
    }

    /** Runs both micro-batches into one gradient; returns the losses and leaves the gradients in {@code grads}. */
    static double[] accumulate(CausalLm lm) {
        double[] losses = new double[BATCHES.length];
        for (int i = 0; i < BATCHES.length; i++) {
            MicroBatch m = BATCHES[i];
            losses[i] = lm.forwardBackward(m.ids(), m.targets(), m.packed(), 60);
        }
        return losses;
    }

    @Test
    void fullAndFreezeGradientsAreBitIdenticalWithLessActivationMemory() {
        ModelConfig config = qwen2(4);
        HfModelDir.Loaded model = ModelInit.random(config, 3, 0.2);
        ParamLayout all = model.layout();
        // full: every parameter; freeze: layers 2-3 and lm_head train (0-1 frozen with their biases)
        ParamLayout freeze = all.subset(
                n -> n.startsWith("model.layers.2.") || n.startsWith("model.layers.3.") || n.equals("lm_head.weight"));
        for (ParamLayout trained : new ParamLayout[] {all, freeze}) {
            INDArray plainGrads = trained.allocate();
            INDArray checkpointedGrads = trained.allocate();
            CausalLm plain = modelForBatches(
                    config,
                    new LayerParams(all, model.params(), trained, plainGrads, ""),
                    Projection.Factory.PLAIN,
                    false);
            CausalLm checkpointed = modelForBatches(
                    config,
                    new LayerParams(all, model.params(), trained, checkpointedGrads, ""),
                    Projection.Factory.PLAIN,
                    true);
            String what = trained == all ? "full" : "freeze";
            assertArrayEquals(accumulate(plain), accumulate(checkpointed), what + ": losses");
            assertTrue(plainGrads.amaxNumber().doubleValue() > 0, what + ": gradients exist");
            assertArrayEquals(plainGrads.toFloatVector(), checkpointedGrads.toFloatVector(), what + ": gradients");
            System.out.printf(
                    "[ActivationCheckpointingTest] %s, 4 layers, B=%d T=%d: activations %d B plain, %d B "
                            + "checkpointed%n",
                    what, B, T, plain.activationBytes(), checkpointed.activationBytes());
            long kept = plain.keptBytesPerLayer();
            long input = 4L * B * T * config.hiddenSize();
            assertEquals(kept, checkpointed.keptBytesPerLayer(), what + ": the same set of kept activations");
            assertEquals(
                    plain.activationBytes() - (config.numLayers() - 1) * kept + (config.numLayers() + 1) * input,
                    checkpointed.activationBytes(),
                    what + ": one shared kept set + each layer's input + the carry, " + "instead of four kept sets");
            assertTrue(checkpointed.activationBytes() < plain.activationBytes(), what + ": fewer bytes");
        }
    }

    @Test
    void loraWithDropoutKeysRecomputesTheSameMasks() {
        ModelConfig config = qwen2(3);
        HfModelDir.Loaded model = ModelInit.random(config, 4, 0.2);
        float[][] grads = new float[2][];
        double[][] losses = new double[2][];
        for (int run = 0; run < 2; run++) {
            LoraAdapters adapters = new LoraAdapters(config, LoraConfig.of(4, 8, 0.3, "all", false), 9);
            INDArray params = adapters.init(5);
            params.addi(0.05); // B = 0 at init: give every adapter a gradient
            INDArray g = adapters.layout().allocate();
            CausalLm lm = modelForBatches(
                    config,
                    new LayerParams(model.layout(), model.params(), null, ""),
                    adapters.projections(params, g),
                    run == 1);
            adapters.dropoutKeys().set(new long[] {DropoutKeys.of(0, 7), DropoutKeys.of(0, 8)});
            losses[run] = accumulate(lm);
            grads[run] = g.toFloatVector();
        }
        assertArrayEquals(losses[0], losses[1], "lora: losses");
        assertArrayEquals(grads[0], grads[1], "lora dropout 0.3: adapter gradients");

        LoraAdapters adapters = new LoraAdapters(config, LoraConfig.of(4, 8, 0.3, "all", false), 9);
        INDArray params = adapters.init(5);
        CausalLm lm = modelForBatches(
                config,
                new LayerParams(model.layout(), model.params(), null, ""),
                adapters.projections(params, adapters.layout().allocate()),
                true);
        MicroBatch m = BATCHES[0];
        String message = assertThrows(
                        IllegalStateException.class, () -> lm.forwardBackward(m.ids(), m.targets(), m.packed(), 60))
                .getMessage();
        assertTrue(message.contains("needs per-row keys"), message);
        assertEquals(3, config.numLayers());
    }
}
