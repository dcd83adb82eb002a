package dev.sparktune.trainer.preference;

import dev.sparktune.dl4j.layers.LmHeadLoss;
import dev.sparktune.dl4j.preference.PreferenceLoss;
import dev.sparktune.trainer.reference.ReferenceLogProbs;
import java.util.List;

/**
 * The pairs of a packed row scored by a preference loss, from the per-token log-probs one forward gave: each
 * document's response log-probs summed, each pair (a chosen document, then its rejected one) scored against the
 * reference's sums, and (training) each pair's dLoss/d(summed log-prob) spread to its response tokens. Training
 * ({@code PreferenceObjective}) and evaluation share it, so both report the same metrics the same way.
 *
 * <p>The metrics are TRL's and LLaMA-Factory's, summed here over pairs (the caller divides by the pair count):
 * rewards/chosen, rewards/rejected, rewards/accuracies (chosen reward strictly larger), rewards/margins,
 * logps/chosen, logps/rejected (in the loss's convention: averaged per token for ipo, orpo, simpo); sft_loss
 * (−chosen log-prob per token) when pref_ftx adds it or orpo has it; orpo's odds_ratio_loss. LLaMA-Factory's
 * logits/chosen and logits/rejected (mean logit over the response) are not reported: the full logits are never formed.
 */
public final class PairScoring {
    /** The share of pairs whose chosen reward is larger: what the dpo plot and eval's summary show. */
    public static final String ACCURACY = "rewards/accuracies";
    /** The mean of chosen minus rejected reward. */
    public static final String MARGIN = "rewards/margins";
    /** Every metric name, in log order; {@link #metricNames} is a prefix of it. */
    public static final List<String> METRICS = List.of(
            "rewards/chosen",
            "rewards/rejected",
            ACCURACY,
            MARGIN,
            "logps/chosen",
            "logps/rejected",
            "sft_loss",
            "odds_ratio_loss");

    private final PreferenceLoss loss;
    private final ReferenceLogProbs reference;
    private final List<String> names;

    /**
     * @param reference the reference's log-probs by document (its table's, or the adapters-off forward's of the
     *                  micro-batch being scored); null for the reference-free losses (orpo, simpo)
     * @throws IllegalArgumentException the loss needs a reference and none is given
     */
    public PairScoring(PreferenceLoss loss, ReferenceLogProbs reference) {
        if (loss.type().needsReference() && reference == null) {
            throw new IllegalArgumentException("pref_loss = " + loss.type().key() + " needs reference log-probs");
        }
        this.loss = loss;
        this.reference = loss.type().needsReference() ? reference : null;
        this.names = metricNames(loss);
    }

    /** The metrics {@code loss} reports, in the order of the sums {@link #scoreRow} adds. */
    public static List<String> metricNames(PreferenceLoss loss) {
        int count = loss.type() == PreferenceLoss.Type.ORPO ? 8 : loss.hasSftTerm() ? 7 : 6;
        return METRICS.subList(0, count);
    }

    /** The metrics this scoring reports, in the order of the sums {@link #scoreRow} adds. */
    public List<String> metricNames() {
        return names;
    }

    /**
     * Scores the pairs of one row whose tokens start at {@code start} of the flat arrays.
     *
     * @param logps      each position's log-prob of its target (0 where there is none)
     * @param targets    each position's target, or {@link LmHeadLoss#IGNORE}
     * @param docLens    the row's documents: chosen, rejected, chosen, rejected, ...
     * @param docIds     their ids (the reference's keys)
     * @param metricSums the metrics' sums over pairs, added to
     * @param dLogProb   where each response token's dLoss/d(log-prob) × {@code scale} goes; null to score only
     * @param where      names the row in errors
     * @return the sum of the row's pair losses
     */
    public double scoreRow(
            double[] logps,
            int[] targets,
            int start,
            int[] docLens,
            long[] docIds,
            double[] metricSums,
            double[] dLogProb,
            double scale,
            String where) {
        double lossSum = 0;
        for (int d = 0; d + 1 < docLens.length; d += 2) {
            int chosenStart = start;
            int rejectedStart = chosenStart + docLens[d];
            start = rejectedStart + docLens[d + 1];
            Response chosen = Response.of(logps, targets, chosenStart, rejectedStart);
            Response rejected = Response.of(logps, targets, rejectedStart, start);
            if (chosen.tokens == 0 || rejected.tokens == 0) {
                throw new IllegalStateException("the pair of documents " + docIds[d] + " / " + docIds[d + 1] + " ("
                        + where + ") has no supervised response token on one side; prep rejects such pairs: "
                        + "prepare the table again");
            }
            double refChosen = reference == null ? Double.NaN : reference.logp(docIds[d], chosen.tokens);
            double refRejected = reference == null ? Double.NaN : reference.logp(docIds[d + 1], rejected.tokens);
            PreferenceLoss.Terms t = loss.terms(new PreferenceLoss.Pair(
                    chosen.logp, rejected.logp, chosen.tokens, rejected.tokens, refChosen, refRejected));
            lossSum += t.loss();
            if (dLogProb != null) {
                chosen.spread(targets, dLogProb, t.dChosenLogp() * scale);
                rejected.spread(targets, dLogProb, t.dRejectedLogp() * scale);
            }
            metricSums[0] += t.chosenReward();
            metricSums[1] += t.rejectedReward();
            metricSums[2] += t.rewardCorrect() ? 1 : 0;
            metricSums[3] += t.margin();
            metricSums[4] += t.chosenLogps();
            metricSums[5] += t.rejectedLogps();
            if (names.size() > 6) {
                metricSums[6] += t.sftLoss();
            }
            if (names.size() > 7) {
                metricSums[7] += (t.loss() - t.sftLoss()) / loss.beta();
            }
        }
        return lossSum;
    }

    /** One response: its summed log-prob over the supervised positions in [from, to) and how many there are. */
    private record Response(int from, int to, double logp, int tokens) {
        static Response of(double[] logps, int[] targets, int from, int to) {
            double sum = 0;
            int count = 0;
            for (int i = from; i < to; i++) {
                if (targets[i] != LmHeadLoss.IGNORE) {
                    sum += logps[i];
                    count++;
                }
            }
            return new Response(from, to, sum, count);
        }

        /** dLoss/d(each supervised token's log-prob) = dLoss/d(their sum). */
        void spread(int[] targets, double[] dLogProb, double d) {
            for (int i = from; i < to; i++) {
                if (targets[i] != LmHeadLoss.IGNORE) {
                    dLogProb[i] = d;
                }
            }
        }
    }
}
