package dev.sparktune.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * eval_results.json's loss, exact_match and contains as the tasks' scores add up on the driver (the perplexity is
 * exp of that loss): each supervised token and each generated answer counts once, whichever task scored it.
 */
class PartitionScoreTest {
    private static DocPrediction answer(long docId, String predict, String label) {
        return new DocPrediction(
                docId, "prompt", predict, label, predict.equals(label), predict.contains(label), 3, true);
    }

    private static PartitionScore task(long tokens, double lossSum, DocPrediction... answers) {
        return new PartitionScore(1, answers.length, tokens, lossSum, List.of(answers), 0, 0, new double[0]);
    }

    @Test
    void theLossIsPerTokenOverAllTasksAndTheSharesPerAnswer() {
        // 10 tokens at mean 2.0 and 30 at mean 1.0: 50 / 40 per token, not the tasks' mean of means 1.5
        PartitionScore total = PartitionScore.EMPTY
                .plus(task(10, 20.0, answer(1, "4", "4"), answer(2, "it is 5", "5")))
                .plus(task(30, 30.0, answer(3, "6", "7"), answer(4, "8", "8")));
        assertEquals(50.0 / 40, total.loss(), 1e-12);
        assertEquals(2 / 4.0, total.share(DocPrediction::exactMatch), 1e-12, "answers 1 and 4");
        assertEquals(3 / 4.0, total.share(DocPrediction::contains), 1e-12, "answers 1, 2 and 4");
        assertEquals(
                List.of(1L, 2L, 3L, 4L),
                total.predictions().stream().map(DocPrediction::docId).toList());
    }

    @Test
    void nothingToScoreIsNaNNotZero() {
        PartitionScore total = PartitionScore.EMPTY.plus(task(0, 0.0)).plus(task(0, 0.0));
        assertTrue(Double.isNaN(total.loss()), "no supervised tokens");
        assertTrue(Double.isNaN(total.share(DocPrediction::exactMatch)), "no generated answers");
        assertTrue(Double.isNaN(total.share(DocPrediction::contains)));
    }
}
