package dev.sparktune.trainer.eval;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * What one Spark task measured on its rows; {@link #plus} folds them on the driver.
 *
 * @param pairs          preference pairs scored (0 for a table of single documents)
 * @param pairLossSum    their preference losses, summed
 * @param pairMetricSums their metrics, summed ({@code PairScoring.metricNames} order; empty without pairs)
 */
record PartitionScore(
        long rows,
        long docs,
        long supervisedTokens,
        double lossSum,
        List<DocPrediction> predictions,
        long pairs,
        double pairLossSum,
        double[] pairMetricSums)
        implements Serializable {
    static final PartitionScore EMPTY = new PartitionScore(0, 0, 0, 0.0, List.of(), 0, 0, new double[0]);

    /**
     * The mean token cross-entropy: every supervised token weighs the same whichever task scored it (not a mean of
     * the tasks' means); NaN without supervised tokens.
     */
    double loss() {
        return supervisedTokens == 0 ? Double.NaN : lossSum / supervisedTokens;
    }

    /** The share of the generated answers that {@code scored} holds for (exact_match, contains); NaN for none. */
    double share(Predicate<DocPrediction> scored) {
        return predictions.isEmpty()
                ? Double.NaN
                : predictions.stream().filter(scored).count() / (double) predictions.size();
    }

    PartitionScore plus(PartitionScore o) {
        List<DocPrediction> all = new ArrayList<>(predictions);
        all.addAll(o.predictions);
        double[] sums =
                pairMetricSums.length >= o.pairMetricSums.length ? pairMetricSums.clone() : o.pairMetricSums.clone();
        double[] other = pairMetricSums.length >= o.pairMetricSums.length ? o.pairMetricSums : pairMetricSums;
        for (int i = 0; i < other.length; i++) {
            sums[i] += other[i];
        }
        return new PartitionScore(
                rows + o.rows,
                docs + o.docs,
                supervisedTokens + o.supervisedTokens,
                lossSum + o.lossSum,
                all,
                pairs + o.pairs,
                pairLossSum + o.pairLossSum,
                sums);
    }
}
