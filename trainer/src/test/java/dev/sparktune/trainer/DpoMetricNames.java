package dev.sparktune.trainer;

import java.util.List;

/**
 * The metrics a preference step reports beside its loss, as LLaMA-Factory's dpo stage logs them: the names and the
 * order the tests expect of the trainer, whichever way they run it.
 */
public final class DpoMetricNames {
    /** For a loss against a reference with no SFT term (sigmoid, hinge, ipo). */
    public static final List<String> WITH_REFERENCE = List.of(
            "rewards/chosen",
            "rewards/rejected",
            "rewards/accuracies",
            "rewards/margins",
            "logps/chosen",
            "logps/rejected");

    private DpoMetricNames() {}
}
