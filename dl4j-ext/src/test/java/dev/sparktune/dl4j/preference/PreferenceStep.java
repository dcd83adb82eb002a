package dev.sparktune.dl4j.preference;

import dev.sparktune.dl4j.testkit.DpoMetricNames;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A step on a batch of pairs as LLaMA-Factory and TRL score it, from {@link PreferenceLoss}'s terms of each pair: the
 * loss (the mean over pairs), dLoss/d(each document's summed log-prob) and LLaMA-Factory's metrics (means over pairs),
 * for the golden tests to compare with the reference's.
 */
record PreferenceStep(double loss, double[] dSum, Map<String, Double> metrics) {
    /** Documents 0..N-1 are the chosen responses of pairs 0..N-1, N..2N-1 the rejected ones. */
    static PreferenceStep of(PreferenceLoss loss, double[] logps, int[] tokens, double[] ref) {
        int pairs = logps.length / 2;
        double total = 0;
        double[] dSum = new double[logps.length];
        double[] metrics = new double[DpoMetricNames.PAIR_METRICS.size()];
        for (int i = 0; i < pairs; i++) {
            PreferenceLoss.Terms t = loss.terms(new PreferenceLoss.Pair(
                    logps[i], logps[pairs + i], tokens[i], tokens[pairs + i], ref[i], ref[pairs + i]));
            total += t.loss() / pairs;
            dSum[i] = t.dChosenLogp() / pairs;
            dSum[pairs + i] = t.dRejectedLogp() / pairs;
            double[] m = {
                t.chosenReward(),
                t.rejectedReward(),
                t.rewardCorrect() ? 1 : 0,
                t.margin(),
                t.chosenLogps(),
                t.rejectedLogps()
            };
            for (int k = 0; k < m.length; k++) {
                metrics[k] += m[k] / pairs;
            }
        }
        Map<String, Double> named = new LinkedHashMap<>();
        for (int k = 0; k < metrics.length; k++) {
            named.put(DpoMetricNames.PAIR_METRICS.get(k), metrics[k]);
        }
        return new PreferenceStep(total, dSum, named);
    }
}
