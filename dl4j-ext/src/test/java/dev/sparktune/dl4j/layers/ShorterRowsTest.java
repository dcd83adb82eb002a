package dev.sparktune.dl4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelInit;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A model sized for rows of T runs a batch of shorter rows (padded only to {@link CausalLm#rowLength}) on layers
 * built for that length over prefixes of its own buffers. What a trainer relies on: every result equals that of a
 * model built for the shorter rows alone, bit for bit, while the runs switch between lengths (the buffers one length
 * never writes must look new to it); the padding to T changes nothing beyond float rounding; and the shorter rows
 * take no activation memory of their own.
 */
class ShorterRowsTest {
    static final int B = 2;
    static final int T = 48;
    static final int SHORT = 24; // rowLength of rows of at most 24 tokens

    record Batch(int[] ids, int[] labels, int[][] docLens) {
        static Batch random(Random r, int[][] docLens) {
            int n = Arrays.stream(docLens)
                    .mapToInt(d -> Arrays.stream(d).sum())
                    .max()
                    .orElseThrow();
            int[] ids = new int[B * n];
            int[] labels = new int[B * n];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = r.nextInt(1 << 20);
                labels[i] = r.nextInt(5) == 0 ? LmHeadLoss.IGNORE : ids[i];
            }
            return new Batch(ids, labels, docLens);
        }

        int longest() {
            return Arrays.stream(docLens)
                    .mapToInt(d -> Arrays.stream(d).sum())
                    .max()
                    .orElseThrow();
        }

        /** This batch's rows padded to rows of {@code t} tokens, its ids taken modulo {@code vocab}. */
        Padded at(int t, int vocab) {
            int n = longest();
            int[] paddedIds = new int[B * t];
            int[] paddedLabels = new int[B * t];
            Arrays.fill(paddedLabels, LmHeadLoss.IGNORE);
            for (int b = 0; b < B; b++) {
                for (int i = 0; i < n; i++) {
                    int label = labels[b * n + i];
                    paddedIds[b * t + i] = ids[b * n + i] % vocab;
                    paddedLabels[b * t + i] = label == LmHeadLoss.IGNORE ? label : label % vocab;
                }
            }
            PackedBatch packed = PackedBatch.fromDocLens(t, docLens);
            return new Padded(paddedIds, CausalLm.targets(paddedLabels, packed), packed);
        }
    }

    record Padded(int[] ids, int[] targets, PackedBatch packed) {}

    /** Builds a model for rows of T tokens adding into {@code grads}; {@link #grads} makes such a buffer. */
    interface Builder {
        CausalLm build(int t, INDArray grads);

        INDArray grads();
    }

    // two batches of short rows around one that needs the whole T, so the runs switch length twice
    static final Batch SHORT_A = Batch.random(new Random(1), new int[][] {{10, 9}, {20}});
    static final Batch LONG = Batch.random(new Random(2), new int[][] {{5, 30, 12}, {40}});
    static final Batch SHORT_B = Batch.random(new Random(3), new int[][] {{7}, {3, 4, 12}});
    static final Batch[] RUNS = {SHORT_A, LONG, SHORT_B};

    @Test
    void rowLengthIsTheNextOfFewLengthsThatHoldsTheRow() {
        int[][] cases = {
            {1, 2048, 16},
            {16, 2048, 16},
            {17, 2048, 24},
            {25, 2048, 32},
            {33, 2048, 48},
            {49, 2048, 64},
            {100, 2048, 128},
            {129, 2048, 192},
            {1500, 2048, 1536},
            {1537, 2048, 2048},
            {2048, 2048, 2048},
            {20, 20, 20},
            {17, 20, 20},
            {100, 120, 120}
        };
        for (int[] c : cases) {
            assertEquals(c[2], CausalLm.rowLength(c[0], c[1]), "longest row " + c[0] + " of seq_len " + c[1]);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CausalLm.rowLength(600, 512))
                .getMessage()
                .contains("600 tokens"));
    }

    static Stream<String> families() {
        return ModelGoldenChecks.FAMILIES.stream().sorted();
    }

    /** Every family: Gemma's sliding windows and sandwich norms, Phi-3's fused projections and partial rotary. */
    @ParameterizedTest
    @MethodSource("families")
    void fullTrainingWithAndWithoutCheckpointing(String family) {
        ModelGoldenChecks.Fixture fixture = ModelGoldenChecks.Fixture.load(family);
        ModelConfig config = fixture.config();
        HfModelDir.Loaded model = new HfModelDir.Loaded(config, fixture.layout(), fixture.params());
        for (boolean checkpointing : new boolean[] {false, true}) {
            assertSameAsOwnLengthModels(
                    new Builder() {
                        @Override
                        public CausalLm build(int t, INDArray grads) {
                            return new CausalLm(
                                    config,
                                    new LayerParams(model.layout(), model.params(), grads, ""),
                                    null,
                                    B,
                                    t,
                                    16,
                                    Projection.Factory.PLAIN,
                                    LayerHooks.NONE,
                                    checkpointing);
                        }

                        @Override
                        public INDArray grads() {
                            return model.layout().allocate();
                        }
                    },
                    config.vocabSize(),
                    family + ", full, checkpointing " + checkpointing);
        }
    }

    @Test
    void loraWithDropout() {
        ModelConfig config = ActivationCheckpointingTest.qwen2(2);
        HfModelDir.Loaded model = ModelInit.random(config, 4, 0.2);
        LoraAdapters adapters = new LoraAdapters(config, LoraConfig.of(4, 8, 0.3, "all", false), 9);
        INDArray params = adapters.init(5).addi(0.05); // B = 0 at init: give every adapter a gradient
        adapters.dropoutKeys().set(new long[] {DropoutKeys.of(0, 7), DropoutKeys.of(0, 8)});
        assertSameAsOwnLengthModels(
                new Builder() {
                    @Override
                    public CausalLm build(int t, INDArray grads) {
                        return CausalLm.overFrozen(model, adapters.projections(params, grads), B, t, 16);
                    }

                    @Override
                    public INDArray grads() {
                        return adapters.layout().allocate();
                    }
                },
                config.vocabSize(),
                "lora dropout 0.3");
    }

    /**
     * Runs {@link #RUNS} (forward + backward, and token log-probs + their backward) on one model of T, against a
     * model of the short length and one of T built on their own; compares losses, log-probs and the gradients
     * accumulated over all runs.
     */
    private static void assertSameAsOwnLengthModels(Builder builder, int vocab, String what) {
        INDArray switchingGrads = builder.grads();
        INDArray ownGrads = builder.grads(); // the two own-length models add into one buffer, in the same order
        CausalLm switching = builder.build(T, switchingGrads);
        CausalLm ownShort = builder.build(SHORT, ownGrads);
        CausalLm ownLong = builder.build(T, ownGrads);
        long bytes = switching.activationBytes();
        for (Batch batch : RUNS) {
            int t = CausalLm.rowLength(batch.longest(), T);
            assertEquals(batch == LONG ? T : SHORT, t);
            Padded p = batch.at(t, vocab);
            CausalLm own = t == T ? ownLong : ownShort;
            assertEquals(
                    own.forwardBackward(p.ids(), p.targets(), p.packed(), 50),
                    switching.forwardBackward(p.ids(), p.targets(), p.packed(), 50),
                    what + ": loss of rows of " + t);
            double[] expected = new double[B * t];
            double[] actual = new double[B * t];
            own.tokenLogProbs(p.ids(), p.targets(), p.packed(), expected);
            switching.tokenLogProbs(p.ids(), p.targets(), p.packed(), actual);
            assertArrayEquals(expected, actual, what + ": token log-probs of rows of " + t);
            double[] d = Arrays.stream(p.targets())
                    .mapToDouble(x -> x == LmHeadLoss.IGNORE ? 0 : -1.0 / 50)
                    .toArray();
            own.backwardTokenLogProbs(d);
            switching.backwardTokenLogProbs(d);
        }
        float[] expectedGrads = ownGrads.toFloatVector();
        float[] actualGrads = switchingGrads.toFloatVector();
        assertTrue(nonZero(actualGrads), what + ": gradients exist");
        assertArrayEquals(
                expectedGrads, actualGrads, what + ": gradients accumulated over lengths " + SHORT + ", " + T);
        assertEquals(bytes, switching.activationBytes(), what + ": the shorter rows hold no buffers of their own");
    }

    private static boolean nonZero(float[] a) {
        for (float x : a) {
            if (x != 0) {
                return true;
            }
        }
        return false;
    }

    @Test
    void paddingToTheFullLengthChangesOnlyRounding() {
        ModelConfig config = ActivationCheckpointingTest.qwen2(2);
        HfModelDir.Loaded model = ModelInit.random(config, 5, 0.2);
        CausalLm lm = CausalLm.forwardOnly(model, B, T, 16);
        for (Batch batch : new Batch[] {SHORT_A, SHORT_B}) {
            Padded full = batch.at(T, config.vocabSize());
            Padded own = batch.at(CausalLm.rowLength(batch.longest(), T), config.vocabSize());
            double[] atFull = new double[B * T];
            double[] atOwn = new double[own.ids().length];
            lm.scoreTokenLogProbs(full.ids(), full.targets(), full.packed(), atFull);
            lm.scoreTokenLogProbs(own.ids(), own.targets(), own.packed(), atOwn);
            int t = own.packed().seqLen();
            for (int b = 0; b < B; b++) {
                for (int i = 0; i < t; i++) {
                    assertEquals(atFull[b * T + i], atOwn[b * t + i], 1e-5, "row " + b + " token " + i);
                }
            }
        }
    }
}
