package dev.sparktune.preprocess.encode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.preprocess.api.LabelOptions;
import dev.sparktune.preprocess.api.OverlongPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class SupervisedLabelsTest {
    private static final int X = SupervisedLabels.IGNORE_INDEX;

    private static TurnPair pair(int sourceLen, int targetLen, int base) {
        int[] source = new int[sourceLen];
        int[] target = new int[targetLen];
        for (int i = 0; i < sourceLen; i++) {
            source[i] = base + i;
        }
        for (int i = 0; i < targetLen; i++) {
            target[i] = base + 100 + i;
        }
        return new TurnPair(source, target);
    }

    @Test
    void promptTokensAreMaskedAndResponsesKept() {
        var labeled = SupervisedLabels.build(
                List.of(pair(2, 2, 0), pair(1, 1, 10)), new LabelOptions(100, false, false, OverlongPolicy.TRUNCATE));
        assertArrayEquals(new int[] {0, 1, 100, 101, 10, 110}, labeled.inputIds());
        assertArrayEquals(new int[] {X, X, 100, 101, X, 110}, labeled.labels());
        assertFalse(labeled.truncated());
    }

    @Test
    void trainOnPromptLabelsEverything() {
        var labeled = SupervisedLabels.build(
                List.of(pair(2, 1, 0)), new LabelOptions(100, true, false, OverlongPolicy.TRUNCATE));
        assertArrayEquals(labeled.inputIds(), labeled.labels());
    }

    @Test
    void maskHistoryTrainsOnlyTheLastTurnAndKeepsOrder() {
        var labeled = SupervisedLabels.build(
                List.of(pair(1, 1, 0), pair(1, 1, 10)), new LabelOptions(100, false, true, OverlongPolicy.TRUNCATE));
        assertArrayEquals(new int[] {0, 100, 10, 110}, labeled.inputIds());
        assertArrayEquals(new int[] {X, X, X, 110}, labeled.labels());
    }

    @Test
    void maskHistoryGivesTheBudgetToTheLastTurnFirst() {
        // cutoff 4: the last pair (2+2) fills the budget, the first pair is dropped whole
        var labeled = SupervisedLabels.build(
                List.of(pair(2, 2, 0), pair(2, 2, 10)), new LabelOptions(4, false, true, OverlongPolicy.TRUNCATE));
        assertArrayEquals(new int[] {10, 11, 110, 111}, labeled.inputIds());
        assertTrue(labeled.truncated());
    }

    @Test
    void textAfterTheLastTurnIsAnUntrainedSuffixNotATurn() {
        // e.g. a template that writes eos_token after its message loop
        var labeled = SupervisedLabels.build(
                List.of(pair(1, 1, 0), pair(1, 1, 10), pair(1, 0, 20)),
                new LabelOptions(100, false, true, OverlongPolicy.TRUNCATE));
        assertArrayEquals(new int[] {0, 100, 10, 110, 20}, labeled.inputIds());
        assertArrayEquals(new int[] {X, X, X, 110, X}, labeled.labels(), "mask_history keeps the real last turn");
    }

    /** Worked examples of LLaMA-Factory's infer_seqlen (src/llamafactory/data/processor/processor_utils.py). */
    @Test
    void inferSeqlenMatchesLlamaFactory() {
        assertArrayEquals(new int[] {90, 10}, SupervisedLabels.inferSeqlen(200, 10, 100)); // short target: cut source
        assertArrayEquals(new int[] {10, 90}, SupervisedLabels.inferSeqlen(10, 200, 100)); // short source: cut target
        assertArrayEquals(new int[] {34, 66}, SupervisedLabels.inferSeqlen(100, 200, 100)); // both: target int(100·2/3)
        assertArrayEquals(new int[] {5, 5}, SupervisedLabels.inferSeqlen(5, 5, 100)); // fits: unchanged
    }

    @Test
    void truncationRespectsCutoffAcrossTurns() {
        var labeled = SupervisedLabels.build(
                List.of(pair(3, 3, 0), pair(3, 3, 10), pair(3, 3, 20)),
                new LabelOptions(8, false, false, OverlongPolicy.TRUNCATE));
        assertEquals(8, labeled.inputIds().length);
        assertTrue(labeled.truncated());
        // first pair whole; the second gets the 2 remaining tokens split in proportion (1 source + 1 target)
        assertArrayEquals(new int[] {0, 1, 2, 100, 101, 102, 10, 110}, labeled.inputIds());
    }
}
