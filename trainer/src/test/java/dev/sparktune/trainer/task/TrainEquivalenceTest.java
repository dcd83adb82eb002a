package dev.sparktune.trainer.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.collective.RingOptions;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelWeights;
import dev.sparktune.dl4j.optim.LrSchedule;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.testkit.RingGroup;
import dev.sparktune.dl4j.testkit.TensorAssertions;
import dev.sparktune.dl4j.testkit.TinyModels;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.data.RowSource;
import dev.sparktune.trainer.plan.StepPlan;
import dev.sparktune.trainer.reference.RefLogProbs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same seed, rows and global batch give the same loss curve and final weights for world sizes 1, 2 and 4 and for
 * no_shard vs shard_grad_op vs full_shard, full and LoRA fine-tuning. Ranks are threads joined by the real TCP ring on loopback;
 * only fp32 summation order differs between runs, hence the tolerances.
 */
class TrainEquivalenceTest {
    static final int SEQ = 24;
    static final int VOCAB = TinyModels.TOY_VOCAB;
    static final int STEPS = 6;
    static final InMemoryRows ROWS = InMemoryRows.random(22, SEQ, VOCAB, 7);

    record Run(
            double[] losses,
            double[] gradNorms,
            float[] finalParams,
            HeldBytes held,
            List<Map<String, Double>> metrics) {}

    static TrainConfig config(FinetuningType type, int world, Sharding sharding) {
        return TrainConfig.builder()
                .modelPath("in-memory")
                .table("in-memory")
                .outputDir("unused")
                .finetuningType(type)
                .lora(4, 8, 0, "all", false)
                .learningRate(type == FinetuningType.LORA ? 2e-2 : 3e-3)
                .weightDecay(0.01)
                .maxGradNorm(0.5)
                .scheduler(LrSchedule.Type.COSINE)
                .warmupSteps(2)
                .perDeviceBatchRows(2)
                .globalBatchRows(8)
                .maxSteps(STEPS)
                .seed(11)
                .worldSize(world)
                .sharding(sharding)
                .lossChunkTokens(16)
                // the reference keeps its activations, so the cases that turn recompute on compare it with that
                .gradientCheckpointing(false)
                .build();
    }

    static Run train(TrainConfig cfg) throws Exception {
        return train(cfg, TinyModels::toyQwen3Weights);
    }

    /** Trains every rank from the weights {@code base} gives it (a rank may hold them in its own way). */
    static Run train(TrainConfig cfg, Supplier<ModelWeights> base) throws Exception {
        return train(cfg, base, ROWS, false, null);
    }

    /**
     * Trains on {@code rows}: preference pairs (against {@code reference}, null for a reference-free loss) when
     * {@code pairs}.
     */
    static Run train(
            TrainConfig cfg, Supplier<ModelWeights> base, RowSource rows, boolean pairs, RefLogProbs.Lookup reference)
            throws Exception {
        List<Run> runs = onRanks(cfg, base, rows, pairs, reference, (trainer, plan) -> {
            double[] losses = new double[plan.totalSteps()];
            double[] norms = new double[plan.totalSteps()];
            List<Map<String, Double>> metrics = new ArrayList<>();
            for (int s = 0; s < plan.totalSteps(); s++) {
                StepMetrics m = trainer.step(s);
                losses[s] = m.loss();
                norms[s] = m.gradNorm();
                metrics.add(m.objective());
            }
            return new Run(losses, norms, trainer.trainableParams().toFloatVector(), trainer.heldBytes(), metrics);
        });
        for (int r = 1; r < runs.size(); r++) {
            assertTrue(
                    Arrays.equals(runs.get(0).finalParams(), runs.get(r).finalParams()),
                    "rank " + r + "'s parameters differ from rank 0's (replicas drifted apart)");
        }
        return runs.get(0);
    }

    /**
     * Builds a {@link RankTrainer} on each of the config's ranks (threads joined by the TCP ring) and returns what
     * {@code body} makes of each, in rank order.
     */
    static <T> List<T> onRanks(TrainConfig cfg, Supplier<ModelWeights> base, BiFunction<RankTrainer, StepPlan, T> body)
            throws Exception {
        return onRanks(cfg, base, ROWS, false, null, body);
    }

    static <T> List<T> onRanks(
            TrainConfig cfg,
            Supplier<ModelWeights> base,
            RowSource rows,
            boolean pairs,
            RefLogProbs.Lookup reference,
            BiFunction<RankTrainer, StepPlan, T> body)
            throws Exception {
        int n = cfg.parallelism().worldSize();
        StepPlan plan = StepPlan.of(
                rows.size(),
                cfg.effectiveGlobalBatchRows(),
                cfg.batch().perDeviceRows(),
                n,
                cfg.schedule().epochs(),
                cfg.schedule().maxSteps(),
                cfg.seed());
        try (RingGroup ring = RingGroup.form(n, RingOptions.defaults())) {
            return ring.run(rank -> () -> {
                try (RankTrainer trainer =
                        new RankTrainer(cfg, plan, base.get(), SEQ, ring.rank(rank), rows, null, pairs, reference)) {
                    return body.apply(trainer, plan);
                }
            });
        }
    }

    static void assertSame(Run ref, Run other, String what) {
        double maxLoss = TensorAssertions.maxAbsDifference(ref.losses(), other.losses());
        double maxParam = TensorAssertions.maxAbsDifference(ref.finalParams(), other.finalParams());
        System.out.printf(
                "[TrainEquivalenceTest] %s: max|loss diff| %.2e, max|param diff| %.2e%n", what, maxLoss, maxParam);
        assertTrue(maxLoss <= 1e-5, what + ": loss curves differ by " + maxLoss);
        assertTrue(maxParam <= 1e-5, what + ": final parameters differ by " + maxParam);
    }

    /** Trains {@code one} (a one-rank config) again on {@code world} ranks with {@code sharding}: it must give {@code ref}. */
    static void assertSameOn(int world, Sharding sharding, TrainConfig one, Run ref, String what) throws Exception {
        assertSame(
                ref, train(one.toBuilder().worldSize(world).sharding(sharding).build()), what);
    }

    /**
     * Asserts that {@code run} (LoRA on one rank with one setting changed, {@code setting}) ends on another loss than
     * plain LoRA: the setting has an effect, so the runs compared with it are not trivially the same.
     */
    static void assertChangesTheLoraRun(Run run, String setting) throws Exception {
        Run plain = train(config(FinetuningType.LORA, 1, Sharding.NO_SHARD));
        assertTrue(Math.abs(run.losses()[STEPS - 1] - plain.losses()[STEPS - 1]) > 1e-4, setting + " changes the run");
    }

    @Test
    void fullFineTuningIsTheSameForEveryWorldSizeAndSharding() throws Exception {
        Run ref = train(config(FinetuningType.FULL, 1, Sharding.NO_SHARD));
        assertTrue(ref.losses()[STEPS - 1] < ref.losses()[0], "the loss should fall: " + Arrays.toString(ref.losses()));
        assertSame(ref, train(config(FinetuningType.FULL, 2, Sharding.NO_SHARD)), "full, 2 ranks, no_shard");
        assertSame(ref, train(config(FinetuningType.FULL, 2, Sharding.SHARD_GRAD_OP)), "full, 2 ranks, shard_grad_op");
        assertSame(ref, train(config(FinetuningType.FULL, 4, Sharding.SHARD_GRAD_OP)), "full, 4 ranks, shard_grad_op");
        assertSame(ref, train(config(FinetuningType.FULL, 2, Sharding.FULL_SHARD)), "full, 2 ranks, full_shard");
        // 4 ranks: the third step has 6 rows, so rank 3 has no micro-batch and runs padding passes
        assertSame(ref, train(config(FinetuningType.FULL, 4, Sharding.FULL_SHARD)), "full, 4 ranks, full_shard");
        // recompute after the layer is gathered again for backward
        assertSame(
                ref,
                train(config(FinetuningType.FULL, 2, Sharding.FULL_SHARD).toBuilder()
                        .gradientCheckpointing(true)
                        .build()),
                "full, 2 ranks, full_shard, gradient_checkpointing");
    }

    /** A family added after the first four, its toy weights, and whether shard_grad_op moves anything of its own. */
    record NewFamily(String name, Supplier<ModelWeights> weights, boolean ownGradientSharding) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<NewFamily> newFamilies() {
        return List.of(
                // fused weights are one entry each: sharded (gradients and AdamW state too), gathered and updated as
                // one; its LoRA adapters too
                new NewFamily("phi3", TinyModels::toyPhi3Weights, true),
                // the extra norms are sharded, gathered and updated with their layer; the per-layer window and rope
                // hold under recomputation; shard_grad_op moves nothing of its own
                new NewFamily("gemma3", TinyModels::toyGemma3Weights, false),
                // each expert's weights are entries of the layer's unit: sharded, gathered and updated with it; the
                // routing holds under recomputation; LoRA adapts the attention only
                new NewFamily("qwen3_moe", TinyModels::toyQwen3MoeWeights, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("newFamilies")
    void aNewFamilyIsTheSameFullyShardedWithCheckpointing(NewFamily family) throws Exception {
        for (FinetuningType type : List.of(FinetuningType.FULL, FinetuningType.LORA)) {
            Run ref = train(config(type, 1, Sharding.NO_SHARD), family.weights());
            assertTrue(ref.losses()[STEPS - 1] < ref.losses()[0], type + ": " + Arrays.toString(ref.losses()));
            if (family.ownGradientSharding()) {
                assertSame(
                        ref,
                        train(config(type, 2, Sharding.SHARD_GRAD_OP), family.weights()),
                        family + " " + type.key() + ", 2 ranks, shard_grad_op");
            }
            Run sharded = train(
                    config(type, 2, Sharding.FULL_SHARD).toBuilder()
                            .gradientCheckpointing(true)
                            .build(),
                    family.weights());
            assertSame(ref, sharded, family + " " + type.key() + ", 2 ranks, full_shard, gradient_checkpointing");
            // what a rank holds (Qwen3-MoE's experts are entries of their layer's unit, sharded with it)
            System.out.printf(
                    "[TrainEquivalenceTest] %s %s held per rank: 1 rank %s; 2 ranks full_shard %s%n",
                    family, type.key(), ref.held(), sharded.held());
        }
    }

    @Test
    void fullShardHoldsAboutAWorldSizeFractionOfTheDecoderLayers() throws Exception {
        Run replicated = train(config(FinetuningType.FULL, 4, Sharding.SHARD_GRAD_OP));
        Run sharded = train(config(FinetuningType.FULL, 4, Sharding.FULL_SHARD));
        ModelConfig m = TinyModels.qwen3OverToyVocab();
        long root = 4L * VOCAB * m.hiddenSize() + 4L * m.hiddenSize(); // tied embedding + final norm
        long all = replicated.held().params();
        long layers = all - root;
        long slot = layers / m.numLayers();
        long expected = root + slot + 4 * ((slot / 4 + 3) / 4 * m.numLayers()); // root + slot + ceil shards
        System.out.printf(
                "[TrainEquivalenceTest] params held per rank: shard_grad_op %d B, full_shard %d B%n",
                all, sharded.held().params());
        assertTrue(
                Math.abs(sharded.held().params() - expected) <= 4L * 4 * m.numLayers(),
                "full_shard holds root + one slot + a quarter of each layer: " + sharded.held() + " vs " + expected);
        assertTrue(sharded.held().params() < all, "full_shard holds less than a replica");
        // AdamW state: a quarter of everything, the root unit included, as shard_grad_op's
        assertTrue(
                Math.abs(sharded.held().optimizerState() - replicated.held().optimizerState())
                        <= 8L * 4 * (m.numLayers() + 1),
                "moments: " + sharded.held() + " vs " + replicated.held());
    }

    @Test
    void loraIsTheSameForEveryWorldSizeAndSharding() throws Exception {
        Run ref = train(config(FinetuningType.LORA, 1, Sharding.NO_SHARD));
        assertTrue(ref.losses()[STEPS - 1] < ref.losses()[0], "the loss should fall: " + Arrays.toString(ref.losses()));
        assertSame(ref, train(config(FinetuningType.LORA, 4, Sharding.NO_SHARD)), "lora, 4 ranks, no_shard");
        Run replicated = train(config(FinetuningType.LORA, 2, Sharding.SHARD_GRAD_OP));
        assertSame(ref, replicated, "lora, 2 ranks, shard_grad_op");
        // the frozen base sharded, each layer gathered for forward and again for backward
        Run sharded = train(config(FinetuningType.LORA, 2, Sharding.FULL_SHARD));
        assertSame(ref, sharded, "lora, 2 ranks, full_shard");
        // 4 ranks: padding passes on the rank without rows; recompute after the layer is gathered again
        assertSame(
                ref,
                train(config(FinetuningType.LORA, 4, Sharding.FULL_SHARD).toBuilder()
                        .gradientCheckpointing(true)
                        .build()),
                "lora, 4 ranks, full_shard, gradient_checkpointing");

        ModelConfig m = TinyModels.qwen3OverToyVocab();
        long root = 4L * VOCAB * m.hiddenSize() + 4L * m.hiddenSize(); // tied embedding + final norm
        long adapters = replicated.held().grads(); // every rank holds all adapter gradients
        long slot = (replicated.held().params() - adapters - root) / m.numLayers();
        long expected = root + slot + 4 * ((slot / 4 + 1) / 2 * m.numLayers()) + adapters; // + ceil half shards
        assertTrue(
                Math.abs(sharded.held().params() - expected) <= 4L * 2 * m.numLayers(),
                "lora + full_shard holds root + one slot + half of each frozen layer + the adapters: " + sharded.held()
                        + " vs " + expected);
        assertEquals(
                replicated.held().optimizerState(),
                sharded.held().optimizerState(),
                "the adapters' AdamW state is split as in shard_grad_op");
    }

    @Test
    void freezeTrainsOnlyItsSelectionTheSameForEveryWorldSizeAndSharding() throws Exception {
        // the last layer's MLP + every norm (LLaMA-Factory's "norm" reaches the layers' norms too)
        TrainConfig one = config(FinetuningType.FREEZE, 1, Sharding.NO_SHARD).toBuilder()
                .freeze(1, "mlp", "norm")
                .build();
        Run ref = train(one);
        assertTrue(ref.losses()[STEPS - 1] < ref.losses()[0], "the loss should fall: " + Arrays.toString(ref.losses()));
        ModelConfig m = TinyModels.qwen3OverToyVocab();
        ParamLayout trained = one.trainableLayout(m);
        assertEquals(ref.finalParams().length, trained.totalLength(), "the trainable buffer is the selection");
        assertTrue(
                trained.contains("model.layers.1.mlp.down_proj.weight")
                        && trained.contains("model.norm.weight")
                        && trained.contains("model.layers.0.input_layernorm.weight")
                        && !trained.contains("model.layers.0.mlp.down_proj.weight")
                        && !trained.contains("model.embed_tokens.weight"),
                trained.entries().toString());
        HfModelDir.Loaded start = TinyModels.toyQwen3Weights();
        long changed = 0;
        for (ParamLayout.Entry e : trained.entries()) {
            float[] before =
                    start.layout().view(start.params(), e.name()).reshape(-1).toFloatVector();
            for (int i = 0; i < before.length; i++) {
                changed += before[i] != ref.finalParams()[(int) e.offset() + i] ? 1 : 0;
            }
        }
        assertTrue(
                changed > trained.totalLength() / 2,
                "most trained elements moved: " + changed + " of " + trained.totalLength());
        assertSameOn(2, Sharding.NO_SHARD, one, ref, "freeze, 2 ranks, no_shard");
        assertSameOn(4, Sharding.SHARD_GRAD_OP, one, ref, "freeze, 4 ranks, shard_grad_op");
    }

    @Test
    void loraPlusIsTheSameForEveryWorldSizeAndChangesTheRun() throws Exception {
        TrainConfig one = config(FinetuningType.LORA, 1, Sharding.NO_SHARD).toBuilder()
                .loraplusLrRatio(8)
                .build();
        Run ref = train(one);
        assertChangesTheLoraRun(ref, "loraplus_lr_ratio 8");
        assertSameOn(4, Sharding.SHARD_GRAD_OP, one, ref, "lora+ 8, 4 ranks, shard_grad_op");
    }

    @Test
    void loraDropoutMasksDependOnTheRowNotOnTheWorldSize() throws Exception {
        TrainConfig one = config(FinetuningType.LORA, 1, Sharding.NO_SHARD).toBuilder()
                .lora(4, 8, 0.2, "all", false)
                .build();
        Run ref = train(one);
        assertChangesTheLoraRun(ref, "dropout 0.2");
        assertSameOn(2, Sharding.NO_SHARD, one, ref, "lora dropout 0.2, 2 ranks, no_shard");
        assertSameOn(4, Sharding.SHARD_GRAD_OP, one, ref, "lora dropout 0.2, 4 ranks, shard_grad_op");
        assertSame(
                ref,
                train(one.toBuilder().worldSize(2).gradientCheckpointing(true).build()),
                "lora dropout 0.2, 2 ranks, gradient_checkpointing (masks recomputed from the row keys)");
    }

    @Test
    void theStepRowsDoNotDependOnTheWorldSize() {
        StepPlan one = StepPlan.of(22, 8, 2, 1, 2.0, 0, 3);
        StepPlan four = one.withWorldSize(4);
        assertEquals(6, one.totalSteps());
        for (int s = 0; s < one.totalSteps(); s++) {
            long[] rows = one.stepRows(s, one.epochOrder(one.epochOf(s)));
            List<Long> union = new ArrayList<>();
            for (int r = 0; r < 4; r++) {
                for (long i : four.rankRows(four.stepRows(s, four.epochOrder(four.epochOf(s))), r)) {
                    union.add(i);
                }
            }
            assertEquals(Arrays.stream(rows).boxed().toList(), union, "step " + s);
        }
        assertTrue(!Arrays.equals(one.epochOrder(0), one.epochOrder(1)), "each epoch reshuffles");
    }
}
