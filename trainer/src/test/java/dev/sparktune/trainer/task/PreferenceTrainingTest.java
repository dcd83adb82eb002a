package dev.sparktune.trainer.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.LmHeadLoss;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelWeights;
import dev.sparktune.dl4j.testkit.DpoMetricNames;
import dev.sparktune.dl4j.testkit.TinyModels;
import dev.sparktune.preprocess.table.PackedTable;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.PreferenceConfig;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.data.TrainRow;
import dev.sparktune.trainer.reference.DocumentLogProbs;
import dev.sparktune.trainer.reference.RefLogProbs;
import dev.sparktune.trainer.reference.RefLogProbsException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Preference training (stage dpo) through {@link RankTrainer}: a fresh LoRA starts at ln 2 and learns the preference,
 * and the loss curve, reward metrics and final adapter are the same for world sizes 1, 2 and 4 and every fsdp mode,
 * since the loss is a mean over the global batch of pairs. Ranks are threads on the real TCP ring; the reference
 * log-probs are the base model's, scored document by document as the reference pass does.
 */
class PreferenceTrainingTest {
    static final int SEQ = TrainEquivalenceTest.SEQ;
    static final int VOCAB = TrainEquivalenceTest.VOCAB;
    static final int STEPS = TrainEquivalenceTest.STEPS;
    static final InMemoryRows PAIRS = pairs(20, 13);
    static final Supplier<ModelWeights> BASE = TinyModels::toyQwen3Weights;
    static final RefLogProbs.Lookup REFERENCE = reference(PAIRS);

    /**
     * {@code n} rows of one or two pairs: a prompt of 2-3 tokens, the chosen response repeats the prompt's first
     * token (a preference a tiny model can learn), the rejected one is random; labels on the responses only.
     */
    static InMemoryRows pairs(int n, long seed) {
        Random rnd = new Random(seed);
        List<TrainRow> rows = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            int pairs = 1 + rnd.nextInt(2);
            List<int[]> docs = new ArrayList<>();
            List<int[]> labels = new ArrayList<>();
            for (int p = 0; p < pairs; p++) {
                int[] prompt = rnd.ints(2 + rnd.nextInt(2), 1, VOCAB).toArray();
                int chosenLen = 1 + rnd.nextInt(3);
                int rejectedLen = 1 + rnd.nextInt(3);
                int[] chosen = new int[chosenLen];
                Arrays.fill(chosen, prompt[0]);
                int[] rejected = rnd.ints(rejectedLen, 1, VOCAB).toArray();
                for (int[] response : new int[][] {chosen, rejected}) {
                    int[] doc = Arrays.copyOf(prompt, prompt.length + response.length);
                    System.arraycopy(response, 0, doc, prompt.length, response.length);
                    int[] lab = doc.clone();
                    Arrays.fill(lab, 0, prompt.length, LmHeadLoss.IGNORE);
                    docs.add(doc);
                    labels.add(lab);
                }
            }
            int total = docs.stream().mapToInt(d -> d.length).sum();
            int[] ids = new int[total];
            int[] lab = new int[total];
            int[] lens = new int[docs.size()];
            long[] docIds = new long[docs.size()];
            int[] roles = new int[docs.size()];
            int at = 0;
            for (int d = 0; d < docs.size(); d++) {
                System.arraycopy(docs.get(d), 0, ids, at, docs.get(d).length);
                System.arraycopy(labels.get(d), 0, lab, at, docs.get(d).length);
                lens[d] = docs.get(d).length;
                docIds[d] = 1000L * r + d;
                roles[d] = d % 2 == 0 ? PackedTable.ROLE_CHOSEN : PackedTable.ROLE_REJECTED;
                at += lens[d];
            }
            rows.add(new TrainRow(ids, lab, lens, docIds, roles));
        }
        return new InMemoryRows(rows);
    }

    /** The base model's summed log-prob of each document's supervised tokens, one row at a time. */
    static RefLogProbs.Lookup reference(InMemoryRows rows) {
        long[] all = new long[(int) rows.size()];
        Arrays.setAll(all, i -> i);
        return new DocumentLogProbs(CausalLm.forwardOnly((HfModelDir.Loaded) BASE.get(), 1, SEQ, 16), 1, SEQ)
                .lookup("in-memory", rows.read(all).values());
    }

    /**
     * The equivalence runs' LoRA (batches, steps, seed, adapter shape) trained on pairs with {@code loss}, under the
     * optimiser settings that let the tiny model learn the preference in {@link #STEPS} steps.
     */
    static TrainConfig config(String loss, int world, Sharding sharding) {
        return TrainEquivalenceTest.config(FinetuningType.LORA, world, sharding).toBuilder()
                .learningRate(5e-2)
                .weightDecay(0)
                .maxGradNorm(1.0)
                .warmupSteps(1)
                .gradientCheckpointing(false)
                .preference(new PreferenceConfig(loss, 0.5, 0, 0, 0.5, "", "", "", null))
                .build();
    }

    static TrainEquivalenceTest.Run train(TrainConfig cfg) throws Exception {
        return TrainEquivalenceTest.train(cfg, BASE, PAIRS, true, REFERENCE);
    }

    @Test
    void aFreshLoraStartsAtLn2AndLearnsThePreference() throws Exception {
        TrainEquivalenceTest.Run run = train(config("sigmoid", 1, Sharding.NO_SHARD));
        // LoRA's B starts at zero: the policy is the reference, every margin 0, -log sigma(0) = ln 2
        assertEquals(Math.log(2), run.losses()[0], 1e-6, "first loss");
        Map<String, Double> first = run.metrics().get(0);
        Map<String, Double> last = run.metrics().get(STEPS - 1);
        assertEquals(DpoMetricNames.PAIR_METRICS, List.copyOf(first.keySet()));
        // rewards are beta x (policy - reference): zero up to the summation order of a batch of 2 vs 1
        assertEquals(0, first.get("rewards/chosen"), 1e-6);
        assertEquals(0, first.get("rewards/margins"), 1e-6);
        System.out.println(
                "[PreferenceTrainingTest] sigmoid losses " + Arrays.toString(run.losses()) + "; last " + last);
        assertTrue(
                run.losses()[STEPS - 1] < run.losses()[0] - 0.05,
                "the loss should fall: " + Arrays.toString(run.losses()));
        assertTrue(
                last.get("rewards/accuracies") >= 0.75 && last.get("rewards/margins") > 0,
                "the chosen responses should be preferred: " + last);
    }

    @Test
    void sameCurveMetricsAndAdapterForEveryWorldSizeAndSharding() throws Exception {
        TrainEquivalenceTest.Run ref = train(config("sigmoid", 1, Sharding.NO_SHARD));
        assertSameRun(ref, train(config("sigmoid", 2, Sharding.SHARD_GRAD_OP)), "sigmoid, 2 ranks, shard_grad_op");
        assertSameRun(ref, train(config("sigmoid", 4, Sharding.NO_SHARD)), "sigmoid, 4 ranks, no_shard");
        // 4 ranks of full_shard: a step's rows leave a rank without a micro-batch, which runs padding passes
        assertSameRun(
                ref,
                train(config("sigmoid", 4, Sharding.FULL_SHARD).toBuilder()
                        .gradientCheckpointing(true)
                        .build()),
                "sigmoid, 4 ranks, full_shard, gradient_checkpointing");
        // reference-free, log-probs averaged per token, with the SFT term: no reference needed
        TrainConfig orpo = config("orpo", 1, Sharding.NO_SHARD).toBuilder()
                .preference(new PreferenceConfig("orpo", 0.2, 0.5, 0, 0.5, "", "", "", null))
                .build();
        TrainEquivalenceTest.Run orpoRef = TrainEquivalenceTest.train(orpo, BASE, PAIRS, true, null);
        assertEquals(8, orpoRef.metrics().get(0).size(), "orpo reports sft_loss and odds_ratio_loss too");
        assertSameRun(
                orpoRef,
                TrainEquivalenceTest.train(
                        orpo.toBuilder()
                                .worldSize(2)
                                .sharding(Sharding.FULL_SHARD)
                                .build(),
                        BASE,
                        PAIRS,
                        true,
                        null),
                "orpo + ftx, 2 ranks, full_shard");
        // dropout is off in preference training (LLaMA-Factory's and TRL's disable_dropout)
        assertSameRun(
                ref,
                train(config("sigmoid", 1, Sharding.NO_SHARD).toBuilder()
                        .lora(4, 8, 0.3, "all", false)
                        .build()),
                "sigmoid, lora_dropout 0.3 not applied");
        // full fine-tuning: full_shard gathers each layer for the log-prob forward and again for its backward
        TrainConfig full = config("sigmoid", 1, Sharding.NO_SHARD).toBuilder()
                .finetuningType(FinetuningType.FULL)
                .learningRate(3e-3)
                .build();
        assertSameRun(
                train(full),
                train(full.toBuilder()
                        .worldSize(2)
                        .sharding(Sharding.FULL_SHARD)
                        .build()),
                "full, 2 ranks, full_shard");
    }

    @Test
    void aDocumentTheReferenceDidNotScoreStopsTheRun() {
        RefLogProbs.Lookup partial =
                RefLogProbs.Lookup.of("ref-table", new long[] {0, 1}, new double[] {-1, -2}, new int[] {1, 1});
        // the rank's own exception (RingGroup rethrows a rank's failure as it was thrown)
        RefLogProbsException e = assertThrows(
                RefLogProbsException.class,
                () -> TrainEquivalenceTest.train(config("sigmoid", 1, Sharding.NO_SHARD), BASE, PAIRS, true, partial));
        assertTrue(
                e.getMessage().contains("ref-table") && e.getMessage().contains("sparktune ref-logprobs"),
                e.getMessage());
    }

    static void assertSameRun(TrainEquivalenceTest.Run ref, TrainEquivalenceTest.Run other, String what) {
        TrainEquivalenceTest.assertSame(ref, other, what);
        for (int s = 0; s < ref.metrics().size(); s++) {
            for (Map.Entry<String, Double> e : ref.metrics().get(s).entrySet()) {
                assertEquals(
                        e.getValue(),
                        other.metrics().get(s).get(e.getKey()),
                        1e-5,
                        what + ": step " + s + " " + e.getKey());
            }
        }
    }
}
