package dev.sparktune.dl4j.preference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.LmHeadLoss;
import dev.sparktune.dl4j.layers.PackedBatch;
import dev.sparktune.dl4j.layers.Projection;
import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.testkit.DpoMetricNames;
import dev.sparktune.dl4j.testkit.GoldenSpecs;
import dev.sparktune.dl4j.testkit.TensorAssertions;
import dev.sparktune.testkit.ReferencePython;
import dev.sparktune.testkit.RepoPaths;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One DPO step of a LoRA policy on the tiny fixtures against scripts/goldens/dpo_step.py: TRL 1.13's DPOTrainer
 * (built on the pairs and a peft_config, its compute_loss) for sigmoid, hinge and ipo, LLaMA-Factory's formulas in
 * torch for pref_ftx, cDPO, orpo and simpo. Each chosen and rejected response is a document (prompt + response,
 * labels -100 on the prompt); the policy's and the reference's (the base model, no adapters) summed log-probs of each
 * document's response tokens come from {@code tokenLogProbs}, {@link PreferenceLoss#terms} gives each pair's loss
 * and dLoss/d(sum), the step's loss is the mean over pairs, and {@code backwardTokenLogProbs} takes dLoss/d(sum) /
 * pairs at every response token back to the adapters. Three layouts of the same documents give the same step: one
 * document per row (TRL's), one pair per row, and all documents packed in two rows with block-diagonal attention.
 *
 * <p>Tolerances: loss and the metrics 1e-5 (rewards/accuracies exactly); each response's summed log-prob, policy and
 * reference, 1e-4 (sums of up to 5 float32 log-probs of magnitude ~5); each adapter gradient within 1e-3 × its
 * largest |entry| (max |ours − golden| per tensor); the layouts agree with each other within 1e-5 (loss) and 1e-4 ×
 * each gradient's largest |entry| (float32 sums in another order, as against the golden).
 */
class DpoStepGoldenTest {
    static final Path GOLDENS = RepoPaths.resolve("dl4j-ext/src/test/resources/goldens");
    static final int CHUNK_ROWS = 7;

    @Test
    void matchesTrlAndLlamaFactoryCheckedIn() throws Exception {
        System.out.println("[DpoStepGoldenTest]\n  " + String.join("\n  ", check(GOLDENS.resolve("dpo_step"))));
    }

    /** Never skipped: fails when the reference environment cannot be created. */
    @Test
    void matchesTrlAndLlamaFactoryLive(@TempDir Path tmp) throws Exception {
        ReferencePython.runScript(
                "scripts/goldens/dpo_step.py",
                List.of(GOLDENS.resolve("hf").toString(), tmp.toString()),
                Duration.ofMinutes(5));
        System.out.println("[DpoStepGoldenTest live]\n  " + String.join("\n  ", check(tmp)));
    }

    @Test
    void aFreshAdapterStartsAtLnTwo() throws Exception {
        // PEFT's init leaves B = 0: the policy is the base model, the reference, so m = 0 and −log σ(0) = ln 2
        JsonNode family = spec(GOLDENS.resolve("dpo_step")).get("families").get("qwen3");
        HfModelDir.Loaded base = HfModelDir.load(GOLDENS.resolve("hf/qwen3"));
        LoraAdapters adapters = new LoraAdapters(base.config(), LoraConfig.of(4, 8, 0, "all", false), 0);
        List<Doc> docs = documents(family.get("pairs"));
        DocBatch batch = DocBatch.of(docs, new int[][] {{0, 5, 2, 7}, {4, 1, 6, 3}});
        double[] policy = batch.sums(model(
                base,
                batch,
                adapters.projections(adapters.init(3), adapters.layout().allocate())));
        double[] ref = batch.sums(model(base, batch, Projection.Factory.PLAIN));
        PreferenceStep step =
                PreferenceStep.of(PreferenceLoss.defaults(PreferenceLoss.Type.SIGMOID), policy, batch.tokens(), ref);
        assertEquals(Math.log(2), step.loss(), 1e-6);
    }

    static List<String> check(Path dir) throws Exception {
        SafetensorsReader golden = SafetensorsReader.open(dir.resolve("dpo_step.safetensors"));
        JsonNode spec = spec(dir);
        List<String> lines = new ArrayList<>();
        for (var it = spec.get("families").fields(); it.hasNext(); ) {
            var entry = it.next();
            String family = entry.getKey();
            JsonNode f = entry.getValue();
            HfModelDir.Loaded base = HfModelDir.load(GOLDENS.resolve("hf/" + family));
            Path adapterDir = dir.resolve(family);
            LoraConfig lcfg = LoraAdapters.readConfig(adapterDir);
            assertEquals(f.get("rank").asInt(), lcfg.rank());
            assertEquals(f.get("use_rslora").asBoolean(), lcfg.rsLora());
            Set<String> targets = new TreeSet<>();
            f.get("targets").forEach(t -> targets.add(t.asText()));
            assertEquals(targets, lcfg.targets());
            LoraAdapters adapters = new LoraAdapters(base.config(), lcfg, 0);
            INDArray aParams = adapters.load(adapterDir);
            List<Doc> docs = documents(f.get("pairs"));
            int pairs = docs.size() / 2;

            Map<String, int[][]> layouts = new LinkedHashMap<>();
            int[][] perDoc = new int[docs.size()][];
            int[][] perPair = new int[pairs][];
            for (int d = 0; d < docs.size(); d++) {
                perDoc[d] = new int[] {d};
            }
            for (int i = 0; i < pairs; i++) {
                perPair[i] = new int[] {i, pairs + i};
            }
            layouts.put("doc per row", perDoc);
            layouts.put("pair per row", perPair);
            layouts.put("packed 2 rows", new int[][] {{0, 5, 2, 7}, {4, 1, 6, 3}});

            Map<String, Double> firstLoss = new HashMap<>();
            Map<String, INDArray> firstGrads = new HashMap<>();
            for (var layout : layouts.entrySet()) {
                DocBatch batch = DocBatch.of(docs, layout.getValue());
                INDArray aGrads = adapters.layout().allocate();
                CausalLm policy = model(base, batch, adapters.projections(aParams, aGrads));
                CausalLm reference = model(base, batch, Projection.Factory.PLAIN);
                double[] ref = batch.sums(reference);
                assertArrayEquals(
                        GoldenSpecs.ints(f.get("tokens")), batch.tokens(), family + ": supervised tokens per response");
                double refDiff = TensorAssertions.maxAbsDifference(GoldenSpecs.doubles(f.get("ref_logps")), ref);
                double policyDiff = 0;
                double lossDiff = 0;
                double rewardDiff = 0;
                double logpsDiff = 0;
                double gradRel = 0;
                double layoutLossDiff = 0;
                double layoutGradRel = 0;
                for (JsonNode c : spec.get("cases")) {
                    String name = c.get("name").asText();
                    PreferenceLoss loss = GoldenSpecs.preferenceLoss(c);
                    aGrads.assign(0);
                    double[] logps = batch.sums(policy); // holds the activations for the backward below
                    policyDiff = Math.max(
                            policyDiff,
                            TensorAssertions.maxAbsDifference(GoldenSpecs.doubles(f.get("policy_logps")), logps));
                    PreferenceStep step = PreferenceStep.of(loss, logps, batch.tokens(), ref);
                    policy.backwardTokenLogProbs(batch.spread(step.dSum()));

                    JsonNode want = c.get("results").get(family);
                    String where = family + " " + layout.getKey() + " " + name;
                    lossDiff = Math.max(lossDiff, Math.abs(want.get("loss").asDouble() - step.loss()));
                    for (String m : DpoMetricNames.PAIR_METRICS) {
                        double d = Math.abs(want.get("metrics").get(m).asDouble()
                                - step.metrics().get(m));
                        if (m.startsWith("logps/")) {
                            logpsDiff = Math.max(logpsDiff, d);
                        } else if (m.equals("rewards/accuracies")) {
                            assertEquals(0, d, 1e-9, where + " " + m);
                        } else {
                            rewardDiff = Math.max(rewardDiff, d);
                        }
                    }
                    Set<String> goldenNames = new TreeSet<>();
                    String prefix = family + "/" + name + "/d/";
                    for (String n : golden.tensors().keySet()) {
                        if (n.startsWith(prefix)) {
                            goldenNames.add(n.substring(prefix.length()));
                        }
                    }
                    assertEquals(
                            goldenNames,
                            new TreeSet<>(adapters.layout().names()),
                            where + ": exactly PEFT's trainable tensors");
                    for (ParamLayout.Entry e : adapters.layout().entries()) {
                        INDArray expected = golden.read(prefix + e.name());
                        INDArray actual = adapters.layout().view(aGrads, e.name());
                        gradRel = Math.max(
                                gradRel,
                                maxAbs(expected, actual) / expected.amaxNumber().doubleValue());
                    }
                    // the same documents in another layout: the same step
                    if (!firstLoss.containsKey(name)) {
                        firstLoss.put(name, step.loss());
                        firstGrads.put(name, aGrads.dup());
                    } else {
                        layoutLossDiff = Math.max(layoutLossDiff, Math.abs(firstLoss.get(name) - step.loss()));
                        for (ParamLayout.Entry e : adapters.layout().entries()) {
                            INDArray a = adapters.layout().view(firstGrads.get(name), e.name());
                            layoutGradRel = Math.max(
                                    layoutGradRel,
                                    maxAbs(a, adapters.layout().view(aGrads, e.name()))
                                            / a.amaxNumber().doubleValue());
                        }
                    }
                }
                String line = String.format(
                        Locale.ROOT,
                        "%-6s %-13s max|loss diff| %.1e  rewards %.1e  logps %.1e  "
                                + "grad rel %.1e  response logp: policy %.1e ref %.1e  vs %s: loss %.1e grad rel %.1e",
                        family,
                        layout.getKey(),
                        lossDiff,
                        rewardDiff,
                        logpsDiff,
                        gradRel,
                        policyDiff,
                        refDiff,
                        layouts.keySet().iterator().next(),
                        layoutLossDiff,
                        layoutGradRel);
                lines.add(line);
                assertTrue(
                        lossDiff <= 1e-5
                                && rewardDiff <= 1e-5
                                && logpsDiff <= 1e-5
                                && gradRel <= 1e-3
                                && policyDiff <= 1e-4
                                && refDiff <= 1e-4
                                && layoutLossDiff <= 1e-5
                                && layoutGradRel <= 1e-4,
                        line);
            }
        }
        return lines;
    }

    /** A document: prompt + response, labels -100 on the prompt. */
    record Doc(int[] ids, int[] labels) {
        static Doc of(int[] prompt, int[] response) {
            int[] ids = Arrays.copyOf(prompt, prompt.length + response.length);
            System.arraycopy(response, 0, ids, prompt.length, response.length);
            int[] labels = ids.clone();
            Arrays.fill(labels, 0, prompt.length, LmHeadLoss.IGNORE);
            return new Doc(ids, labels);
        }
    }

    /** Chosen responses of the pairs first, then the rejected ones (TRL's and LLaMA-Factory's order). */
    static List<Doc> documents(JsonNode pairs) {
        List<Doc> chosen = new ArrayList<>();
        List<Doc> rejected = new ArrayList<>();
        for (JsonNode p : pairs) {
            chosen.add(Doc.of(GoldenSpecs.ints(p.get("prompt")), GoldenSpecs.ints(p.get("chosen"))));
            rejected.add(Doc.of(GoldenSpecs.ints(p.get("prompt")), GoldenSpecs.ints(p.get("rejected"))));
        }
        chosen.addAll(rejected);
        return chosen;
    }

    /**
     * Documents laid out in rows (row r holds the documents {@code layout[r]} in order, padded to the longest row).
     *
     * @param start each document's first token in the flat [B·T] batch
     */
    record DocBatch(int[] ids, PackedBatch packed, int[] targets, int[] start, int[] length) {
        static DocBatch of(List<Doc> docs, int[][] layout) {
            int seqLen = Arrays.stream(layout)
                    .mapToInt(r ->
                            Arrays.stream(r).map(d -> docs.get(d).ids().length).sum())
                    .max()
                    .orElseThrow();
            int[] ids = new int[layout.length * seqLen];
            int[] labels = new int[ids.length];
            Arrays.fill(labels, LmHeadLoss.IGNORE);
            int[] start = new int[docs.size()];
            int[] length = new int[docs.size()];
            int[][] docLens = new int[layout.length][];
            for (int b = 0; b < layout.length; b++) {
                docLens[b] = new int[layout[b].length];
                int at = b * seqLen;
                for (int k = 0; k < layout[b].length; k++) {
                    Doc doc = docs.get(layout[b][k]);
                    System.arraycopy(doc.ids(), 0, ids, at, doc.ids().length);
                    System.arraycopy(doc.labels(), 0, labels, at, doc.labels().length);
                    start[layout[b][k]] = at;
                    length[layout[b][k]] = doc.ids().length;
                    docLens[b][k] = doc.ids().length;
                    at += doc.ids().length;
                }
            }
            PackedBatch packed = PackedBatch.fromDocLens(seqLen, docLens);
            return new DocBatch(ids, packed, CausalLm.targets(labels, packed), start, length);
        }

        int rows() {
            return packed.batch();
        }

        int seqLen() {
            return packed.seqLen();
        }

        /** Each document's summed log-prob of its response tokens (the model keeps the activations). */
        double[] sums(CausalLm model) {
            double[] perToken = new double[targets.length];
            model.tokenLogProbs(ids, targets, packed, perToken);
            double[] sums = new double[start.length];
            for (int d = 0; d < start.length; d++) {
                for (int i = start[d]; i < start[d] + length[d]; i++) {
                    sums[d] += targets[i] == LmHeadLoss.IGNORE ? 0 : perToken[i];
                }
            }
            return sums;
        }

        /** Each document's number of response tokens. */
        int[] tokens() {
            int[] n = new int[start.length];
            for (int d = 0; d < start.length; d++) {
                for (int i = start[d]; i < start[d] + length[d]; i++) {
                    n[d] += targets[i] == LmHeadLoss.IGNORE ? 0 : 1;
                }
            }
            return n;
        }

        /** dLoss/d(log-prob of each token) from dLoss/d(each document's sum): the sum's gradient at its tokens. */
        double[] spread(double[] dSum) {
            double[] d = new double[targets.length];
            for (int doc = 0; doc < start.length; doc++) {
                for (int i = start[doc]; i < start[doc] + length[doc]; i++) {
                    d[i] = targets[i] == LmHeadLoss.IGNORE ? 0 : dSum[doc];
                }
            }
            return d;
        }
    }

    /** {@code base}'s frozen model sized for {@code batch}: the policy with LoRA projections, else the reference. */
    private static CausalLm model(HfModelDir.Loaded base, DocBatch batch, Projection.Factory projections) {
        return CausalLm.overFrozen(base, projections, batch.rows(), batch.seqLen(), CHUNK_ROWS);
    }

    static JsonNode spec(Path dir) throws Exception {
        return new ObjectMapper()
                .readTree(SafetensorsReader.open(dir.resolve("dpo_step.safetensors"))
                        .metadata()
                        .get("spec"));
    }

    private static double maxAbs(INDArray a, INDArray b) {
        return a.sub(b).amaxNumber().doubleValue();
    }
}
