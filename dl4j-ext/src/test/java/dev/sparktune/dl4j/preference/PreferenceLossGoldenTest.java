package dev.sparktune.dl4j.preference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.testkit.GoldenSpecs;
import dev.sparktune.dl4j.testkit.ReferenceGoldensTest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Every pref_loss against scripts/goldens/preference_losses.py: TRL 1.13's DPOTrainer loss code for sigmoid, hinge and
 * ipo, LLaMA-Factory's formulas in torch for cDPO label smoothing, pref_ftx, orpo and simpo, on one batch of pairs
 * from random logits. The logits reach the loss as each response's summed log-probs (log-softmax of the next token,
 * over the response's tokens); the gradient goes back as (onehot − softmax) × dLoss/d(sum) at each response token.
 * Loss within 1e-5, d loss / d logits within 1e-4 of the largest, rewards within 1e-5, mean log-probs within 1e-4
 * (sums of a dozen float32 log-probs).
 */
class PreferenceLossGoldenTest implements ReferenceGoldensTest {
    @Override
    public GoldensFile goldens() {
        return new GoldensFile("preference_losses.safetensors", "preference_losses.py");
    }

    @Test
    void aPolicyEqualToItsReferenceStartsAtLnTwo() {
        // a fresh LoRA adapter leaves the policy equal to the base, the reference: m = 0, −log σ(0) = ln 2
        PreferenceLoss.Terms t = PreferenceLoss.defaults(PreferenceLoss.Type.SIGMOID)
                .terms(new PreferenceLoss.Pair(-31.5, -40.25, 9, 12, -31.5, -40.25));
        assertEquals(Math.log(2), t.loss(), 1e-15);
        assertEquals(-0.05, t.dChosenLogp(), 1e-15); // β·(σ(0) − 1)
        assertEquals(0.05, t.dRejectedLogp(), 1e-15);
        assertEquals(0, t.margin(), 0);
        assertTrue(!t.rewardCorrect(), "a tie is not a correct preference");
    }

    @Test
    void hingeIsFlatPastItsMargin() {
        PreferenceLoss hinge = new PreferenceLoss(PreferenceLoss.Type.HINGE, 0.5, 0, 0.5, 0);
        PreferenceLoss.Terms past = hinge.terms(new PreferenceLoss.Pair(-10, -20, 5, 5, -12, -18)); // m = 6, βm = 3
        assertEquals(0, past.loss(), 0);
        assertEquals(0, past.dChosenLogp(), 0);
        PreferenceLoss.Terms short_ = hinge.terms(new PreferenceLoss.Pair(-10, -20, 5, 5, -11, -20)); // βm = 0.5
        assertEquals(0.5, short_.loss(), 1e-15);
        assertEquals(-0.5, short_.dChosenLogp(), 1e-15);
    }

    @Test
    void settingsOutsideLlamaFactorysRulesAreRefused() {
        String m = assertThrows(
                        IllegalArgumentException.class,
                        () -> new PreferenceLoss(PreferenceLoss.Type.IPO, 0.1, 0.1, 0.5, 0))
                .getMessage();
        assertTrue(m.contains("dpo_label_smoothing applies to pref_loss = sigmoid only"), m);
        m = assertThrows(
                        IllegalArgumentException.class,
                        () -> PreferenceLoss.defaults(PreferenceLoss.Type.SIGMOID)
                                .terms(new PreferenceLoss.Pair(-1, -2, 1, 1, Double.NaN, Double.NaN)))
                .getMessage();
        assertTrue(m.contains("needs the reference's log-probs"), m);
        m = assertThrows(IllegalArgumentException.class, () -> PreferenceLoss.Type.parse("kto_pair"))
                .getMessage();
        assertTrue(m.contains("allowed: sigmoid, hinge, ipo, orpo, simpo"), m);
        // orpo and simpo need no reference
        assertTrue(Double.isFinite(PreferenceLoss.defaults(PreferenceLoss.Type.SIMPO)
                .terms(new PreferenceLoss.Pair(-1, -2, 1, 1, Double.NaN, Double.NaN))
                .loss()));
    }

    @Override
    public List<String> checkGoldens(Path file) throws Exception {
        SafetensorsReader r = SafetensorsReader.open(file);
        JsonNode spec = new ObjectMapper().readTree(r.metadata().get("spec"));
        int pairs = spec.get("pairs").asInt();
        INDArray ids = r.read("input_ids");
        INDArray completion = r.read("completion_mask");
        INDArray logits = r.read("logits");
        INDArray refLogps = r.read("ref_logps");
        int rows = (int) ids.size(0);
        int seq = (int) ids.size(1);
        int vocab = (int) logits.size(2);
        assertEquals(2 * pairs, rows);

        // each row's summed response log-prob and its softmax rows, in double
        double[] sums = new double[rows];
        int[] counts = new int[rows];
        double[][][] softmax = new double[rows][seq][vocab];
        for (int b = 0; b < rows; b++) {
            for (int t = 0; t + 1 < seq; t++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < vocab; v++) {
                    max = Math.max(max, logits.getDouble(b, t, v));
                }
                double z = 0;
                for (int v = 0; v < vocab; v++) {
                    z += Math.exp(logits.getDouble(b, t, v) - max);
                }
                for (int v = 0; v < vocab; v++) {
                    softmax[b][t][v] = Math.exp(logits.getDouble(b, t, v) - max) / z;
                }
                if (completion.getDouble(b, t + 1) == 1) {
                    int label = (int) ids.getDouble(b, t + 1);
                    sums[b] += logits.getDouble(b, t, label) - max - Math.log(z);
                    counts[b]++;
                }
            }
        }

        List<String> lines = new ArrayList<>();
        for (JsonNode c : spec.get("cases")) {
            String name = c.get("name").asText();
            PreferenceLoss loss = GoldenSpecs.preferenceLoss(c);
            PreferenceStep step = PreferenceStep.of(loss, sums, counts, refLogps.toDoubleVector());
            double total = step.loss();
            double[] dSum = step.dSum();
            assertEquals(c.get("loss").asDouble(), total, 1e-5, name + " loss");
            JsonNode m = c.get("metrics");
            Map<String, Double> ours = step.metrics();
            assertEquals(
                    m.get("rewards/chosen").asDouble(), ours.get("rewards/chosen"), 1e-5, name + " rewards/chosen");
            assertEquals(
                    m.get("rewards/rejected").asDouble(),
                    ours.get("rewards/rejected"),
                    1e-5,
                    name + " rewards/rejected");
            assertEquals(
                    m.get("rewards/accuracies").asDouble(),
                    ours.get("rewards/accuracies"),
                    1e-6,
                    name + " rewards/accuracies");
            assertEquals(
                    m.get("rewards/margins").asDouble(), ours.get("rewards/margins"), 1e-5, name + " rewards/margins");
            assertEquals(m.get("logps/chosen").asDouble(), ours.get("logps/chosen"), 1e-4, name + " logps/chosen");
            assertEquals(
                    m.get("logps/rejected").asDouble(), ours.get("logps/rejected"), 1e-4, name + " logps/rejected");

            INDArray want = r.read("case/" + name + "/grad");
            double maxWant = want.amaxNumber().doubleValue();
            double maxDiff = 0;
            for (int b = 0; b < rows; b++) {
                for (int t = 0; t < seq; t++) {
                    boolean scored = t + 1 < seq && completion.getDouble(b, t + 1) == 1;
                    int label = scored ? (int) ids.getDouble(b, t + 1) : -1;
                    for (int v = 0; v < vocab; v++) {
                        double got = scored ? dSum[b] * ((v == label ? 1 : 0) - softmax[b][t][v]) : 0;
                        maxDiff = Math.max(maxDiff, Math.abs(got - want.getDouble(b, t, v)));
                    }
                }
            }
            assertTrue(maxDiff <= 1e-4 * maxWant, name + ": max |d logits diff| " + maxDiff + " of " + maxWant);
            lines.add(String.format(
                    Locale.ROOT,
                    "%-13s loss %.6f (|diff| %.1e)  max|grad diff| %.1e of %.1e  " + "TRL 1.13 checked: %s",
                    name,
                    total,
                    Math.abs(total - c.get("loss").asDouble()),
                    maxDiff,
                    maxWant,
                    c.get("equal_to_trl_1_13")));
        }
        return lines;
    }
}
