package dev.sparktune.dl4j.preference;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * LLaMA-Factory's preference losses ({@code pref_loss}) for one chosen / rejected pair, forward and backward, from the
 * pair's summed response log-probabilities. The backward gives dLoss / d(summed log-prob) of each response, which the
 * lm_head backward turns into (onehot − softmax) × that factor at every response token.
 *
 * <p>Conventions are LLaMA-Factory's (src/llamafactory/train/dpo/trainer.py, which calls TRL ≤ 0.24's
 * {@code DPOTrainer.dpo_loss} for sigmoid, hinge and ipo): ipo, orpo and simpo work on log-probs averaged over the
 * response's tokens ({@code concatenated_forward}: {@code all_logps / valid_length}, the reference's too), sigmoid
 * and hinge on sums; the rewards are β × (policy − reference) in the same convention (β × policy for the
 * reference-free orpo and simpo); {@code pref_ftx} adds ftx × (−chosen log-prob averaged over its tokens). Where TRL
 * 1.13 differs: its sigmoid has no label smoothing (cDPO's, which {@code dpo_label_smoothing} sets here) and its ipo
 * rewards use summed log-ratios.
 *
 * @param type           pref_loss
 * @param beta           pref_beta
 * @param labelSmoothing dpo_label_smoothing (cDPO; sigmoid only)
 * @param simpoGamma     simpo_gamma, SimPO's target reward margin
 * @param ftx            pref_ftx, the weight of the chosen response's SFT loss
 */
public record PreferenceLoss(Type type, double beta, double labelSmoothing, double simpoGamma, double ftx)
        implements Serializable {

    /** pref_loss. */
    public enum Type {
        /** DPO: −log σ(β·m), m = (chosen − ref chosen) − (rejected − ref rejected), summed log-probs. */
        SIGMOID,
        /** SLiC's hinge: relu(1 − β·m), summed log-probs. */
        HINGE,
        /** IPO: (m − 1/(2β))², log-probs averaged per token. */
        IPO,
        /** ORPO: −chosen + β·(−log σ(log odds ratio)), averaged log-probs, no reference. */
        ORPO,
        /** SimPO: −log σ(β·(chosen − rejected) − γ), averaged log-probs, no reference. */
        SIMPO;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Whether the loss compares against a reference model's log-probs (orpo and simpo do not). */
        public boolean needsReference() {
            return this == SIGMOID || this == HINGE || this == IPO;
        }

        /** Whether the loss takes log-probs averaged over the response's tokens rather than summed. */
        public boolean averagesLogps() {
            return this == IPO || this == ORPO || this == SIMPO;
        }

        /** Parses a pref_loss value, naming the allowed ones (every type's key, so the list cannot drift) on failure. */
        public static Type parse(String key) {
            return Arrays.stream(values())
                    .filter(t -> t.key().equals(key))
                    .findFirst()
                    .orElseThrow(
                            () -> new IllegalArgumentException("pref_loss \"" + key + "\" is not supported; allowed: "
                                    + Arrays.stream(values()).map(Type::key).collect(Collectors.joining(", "))));
        }
    }

    public PreferenceLoss {
        if (type == null) {
            throw new IllegalArgumentException("pref_loss is required");
        }
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("pref_beta must be a finite number > 0, got " + beta);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
            throw new IllegalArgumentException("dpo_label_smoothing must be in [0, 0.5), got " + labelSmoothing);
        }
        if (labelSmoothing > 0 && type != Type.SIGMOID) {
            throw new IllegalArgumentException("dpo_label_smoothing applies to pref_loss = sigmoid only (cDPO); set "
                    + "it to 0 for " + type.key());
        }
        if (!Double.isFinite(simpoGamma)) {
            throw new IllegalArgumentException("simpo_gamma must be a finite number, got " + simpoGamma);
        }
        if (!(ftx >= 0) || Double.isInfinite(ftx)) {
            throw new IllegalArgumentException("pref_ftx must be a finite number >= 0, got " + ftx);
        }
    }

    /** LLaMA-Factory's defaults: β 0.1, no label smoothing, simpo_gamma 0.5, no SFT term. */
    public static PreferenceLoss defaults(Type type) {
        return new PreferenceLoss(type, 0.1, 0, 0.5, 0);
    }

    /**
     * One pair as the policy and the reference score it: summed log-probs of each response's tokens and how many
     * there are. The reference sums are ignored (and may be NaN) for orpo and simpo.
     */
    public record Pair(
            double chosenLogp,
            double rejectedLogp,
            int chosenTokens,
            int rejectedTokens,
            double refChosenLogp,
            double refRejectedLogp) {
        public Pair {
            if (chosenTokens < 1 || rejectedTokens < 1) {
                throw new IllegalArgumentException("a pair needs at least one response token on each side, got "
                        + chosenTokens + " and " + rejectedTokens);
            }
        }
    }

    /**
     * A pair's loss, its backward and its metrics.
     *
     * @param loss           the pair's loss (the step's loss is the mean over the global batch of pairs)
     * @param dChosenLogp    dLoss / d(summed chosen log-prob)
     * @param dRejectedLogp  dLoss / d(summed rejected log-prob)
     * @param chosenReward   rewards/chosen
     * @param rejectedReward rewards/rejected
     * @param chosenLogps    logps/chosen (summed, or averaged for ipo / orpo / simpo)
     * @param rejectedLogps  logps/rejected
     * @param sftLoss        −(chosen log-prob averaged over its tokens): pref_ftx's term, and orpo's sft_loss
     */
    public record Terms(
            double loss,
            double dChosenLogp,
            double dRejectedLogp,
            double chosenReward,
            double rejectedReward,
            double chosenLogps,
            double rejectedLogps,
            double sftLoss) {
        /** rewards/accuracies counts a pair whose chosen reward is strictly larger. */
        public boolean rewardCorrect() {
            return chosenReward > rejectedReward;
        }

        /** rewards/margins. */
        public double margin() {
            return chosenReward - rejectedReward;
        }
    }

    /** Forward and backward of one pair. */
    public Terms terms(Pair p) {
        // log-probs in the loss's convention, and d(convention)/d(sum) to take the gradient back to the sums
        double cScale = type.averagesLogps() ? 1.0 / p.chosenTokens() : 1.0;
        double rScale = type.averagesLogps() ? 1.0 / p.rejectedTokens() : 1.0;
        double c = p.chosenLogp() * cScale;
        double r = p.rejectedLogp() * rScale;
        double loss;
        double dc; // dLoss / dc
        double dr;
        double chosenReward;
        double rejectedReward;
        switch (type) {
            case SIGMOID, HINGE, IPO -> {
                double refC = p.refChosenLogp() * cScale;
                double refR = p.refRejectedLogp() * rScale;
                if (!Double.isFinite(refC) || !Double.isFinite(refR)) {
                    throw new IllegalArgumentException("pref_loss = " + type.key() + " needs the reference's "
                            + "log-probs of both responses, got " + p.refChosenLogp() + " and " + p.refRejectedLogp());
                }
                double margin = (c - refC) - (r - refR);
                double dMargin;
                if (type == Type.SIGMOID) {
                    // cDPO: (1 − ε)·(−log σ(βm)) + ε·(−log σ(−βm)); d/d(βm) = σ(βm) − (1 − ε)
                    double z = beta * margin;
                    loss = -(1 - labelSmoothing) * logSigmoid(z) - labelSmoothing * logSigmoid(-z);
                    dMargin = beta * (sigmoid(z) - (1 - labelSmoothing));
                } else if (type == Type.HINGE) {
                    double slack = 1 - beta * margin;
                    loss = Math.max(0, slack);
                    dMargin = slack > 0 ? -beta : 0; // torch's relu has gradient 0 at 0
                } else {
                    double off = margin - 1 / (2 * beta);
                    loss = off * off;
                    dMargin = 2 * off;
                }
                dc = dMargin;
                dr = -dMargin;
                chosenReward = beta * (c - refC);
                rejectedReward = beta * (r - refR);
            }
            case ORPO -> {
                // log odds(y) = log p − log(1 − p) with log p = c: log(1 − e^c) = log(−expm1(c)), exact near c = 0
                double logOdds = (c - r) - (Math.log(-Math.expm1(c)) - Math.log(-Math.expm1(r)));
                loss = -c - beta * logSigmoid(logOdds);
                double dLogOdds = -beta * (1 - sigmoid(logOdds));
                // d log odds / dc = 1 + e^c / (1 − e^c) = −1 / expm1(c)
                dc = -1 + dLogOdds * (-1 / Math.expm1(c));
                dr = dLogOdds * (1 / Math.expm1(r));
                chosenReward = beta * c;
                rejectedReward = beta * r;
            }
            case SIMPO -> {
                double z = beta * (c - r) - simpoGamma;
                loss = -logSigmoid(z);
                dc = beta * (sigmoid(z) - 1);
                dr = -dc;
                chosenReward = beta * c;
                rejectedReward = beta * r;
            }
            default -> throw new IllegalStateException(type.toString());
        }
        double sftLoss = -p.chosenLogp() / p.chosenTokens();
        double dChosenSum = dc * cScale;
        if (hasSftTerm()) {
            loss += ftx * sftLoss;
            dChosenSum -= ftx / p.chosenTokens();
        }
        return new Terms(loss, dChosenSum, dr * rScale, chosenReward, rejectedReward, c, r, sftLoss);
    }

    /** Whether pref_ftx adds the chosen response's SFT term (LLaMA-Factory adds it only above 1e-6). */
    public boolean hasSftTerm() {
        return ftx > 1e-6;
    }

    /** log σ(x) without overflow: −log(1 + e^−x) for x ≥ 0, x − log(1 + e^x) below. */
    static double logSigmoid(double x) {
        return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }
}
