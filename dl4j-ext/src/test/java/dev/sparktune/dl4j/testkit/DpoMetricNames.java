package dev.sparktune.dl4j.testkit;

import java.util.List;

/**
 * The metrics a preference step reports beside its loss, as LLaMA-Factory's dpo stage logs them (TRL's names): the
 * names and the order the tests expect of dl4j-ext's preference step (against its goldens) and of the trainer,
 * whichever way it runs it. Written out, not taken from the trainer's {@code PairScoring.METRICS}, so a renamed
 * metric fails the tests that read the logged keys.
 *
 * <p>Shared with the trainer's tests through dl4j-ext's test-jar.
 */
public final class DpoMetricNames {
    /**
     * What every preference loss reports of its pairs, in log order; a loss against a reference with no SFT term
     * (sigmoid, hinge, ipo) reports these alone, one with an SFT term adds sft_loss, orpo odds_ratio_loss.
     */
    public static final List<String> PAIR_METRICS = List.of(
            "rewards/chosen",
            "rewards/rejected",
            "rewards/accuracies",
            "rewards/margins",
            "logps/chosen",
            "logps/rejected");

    private DpoMetricNames() {}
}
