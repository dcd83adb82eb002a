package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.LmHeadLoss;
import dev.sparktune.dl4j.preference.PreferenceLoss;
import dev.sparktune.trainer.data.TrainRow;
import dev.sparktune.trainer.reference.RefLogProbs;
import java.util.List;

/**
 * Preference training (LLaMA-Factory's stage dpo) on a table of pairs: one forward gives every token's log-prob, each
 * document's response log-probs are summed, each pair (a chosen document and its rejected one, adjacent in one row)
 * scored by {@link PreferenceLoss} against the reference's sums, and one backward takes every pair's
 * dLoss/d(summed log-prob) to its response tokens. A pair never spans rows, so a micro-batch's pairs are whole and
 * the step's loss is the mean over the global batch of pairs, whatever the world size, packing or accumulation.
 *
 * <p>The metrics are TRL's and LLaMA-Factory's, means over the step's pairs; sft_loss (−chosen log-prob per token)
 * when pref_ftx adds it or orpo has it, and orpo's odds_ratio_loss. LLaMA-Factory's logits/chosen and
 * logits/rejected (mean logit over the response) are not reported: training never forms the full logits.
 */
public final class PreferenceObjective implements Objective {
    /** Every metric name this objective can report, in log order. */
    public static final List<String> METRICS = List.of("rewards/chosen", "rewards/rejected", "rewards/accuracies",
            "rewards/margins", "logps/chosen", "logps/rejected", "sft_loss", "odds_ratio_loss");
    private final PreferenceLoss loss;
    private final RefLogProbs.Lookup reference;
    private final List<String> names;
    private double[] logps = new double[0];

    /** @param reference the reference's log-probs; null for the reference-free losses (orpo, simpo) */
    PreferenceObjective(PreferenceLoss loss, RefLogProbs.Lookup reference) {
        if (loss.type().needsReference() && reference == null) {
            throw new IllegalArgumentException("pref_loss = " + loss.type().key() + " needs reference log-probs");
        }
        this.loss = loss;
        this.reference = loss.type().needsReference() ? reference : null;
        boolean orpo = loss.type() == PreferenceLoss.Type.ORPO;
        int count = orpo ? 8 : loss.ftx() > 1e-6 ? 7 : 6;
        this.names = METRICS.subList(0, count);
    }

    @Override
    public long units(MicroBatch batch) {
        long pairs = 0;
        for (TrainRow row : batch.rows()) {
            if (!row.holdsPairs()) {
                throw new IllegalStateException("preference training got a row without doc_roles");
            }
            pairs += row.docRoles().length / 2;
        }
        return pairs;
    }

    @Override
    public double forwardBackward(CausalLm model, MicroBatch batch, double globalUnits, double[] metricSums) {
        int[] targets = batch.targets();
        if (logps.length != targets.length) {
            logps = new double[targets.length];
        }
        model.tokenLogProbs(batch.inputIds(), targets, batch.packed(), logps);
        double[] dLogProb = new double[targets.length];
        double lossSum = 0;
        for (int b = 0; b < batch.rows().length; b++) {
            TrainRow row = batch.rows()[b];
            int start = b * batch.seqLen();
            for (int d = 0; d + 1 < row.docLens().length; d += 2) {
                int chosenStart = start;
                int rejectedStart = chosenStart + row.docLens()[d];
                start = rejectedStart + row.docLens()[d + 1];
                Response chosen = Response.of(logps, targets, chosenStart, rejectedStart);
                Response rejected = Response.of(logps, targets, rejectedStart, start);
                long chosenId = row.docIds()[d];
                long rejectedId = row.docIds()[d + 1];
                if (chosen.tokens == 0 || rejected.tokens == 0) {
                    throw new IllegalStateException("the pair of documents " + chosenId + " / " + rejectedId + " (row "
                            + batch.rowIds()[b] + ") has no supervised response token on one side; prep rejects "
                            + "such pairs: prepare the table again");
                }
                double refChosen = reference == null ? Double.NaN : reference.logp(chosenId, chosen.tokens);
                double refRejected = reference == null ? Double.NaN : reference.logp(rejectedId, rejected.tokens);
                PreferenceLoss.Terms t = loss.terms(new PreferenceLoss.Pair(chosen.logp, rejected.logp,
                        chosen.tokens, rejected.tokens, refChosen, refRejected));
                lossSum += t.loss();
                chosen.spread(targets, dLogProb, t.dChosenLogp() / globalUnits);
                rejected.spread(targets, dLogProb, t.dRejectedLogp() / globalUnits);
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
        }
        model.backwardTokenLogProbs(dLogProb);
        return lossSum / globalUnits;
    }

    @Override
    public List<String> metricNames() {
        return names;
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
