package dev.sparktune.trainer.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The driver's progress lines: step, percentage, last logged loss, pace from the first observation, ETA, throttle. */
class ProgressTrackerTest {
    static final long S = 1_000_000_000L;

    @Test
    void formatsStepPercentLossPaceAndEta() {
        assertEquals(
                "train: step 12/30 (40%), loss 1.234, 3.1 s/step, ETA 0:00:56",
                ProgressTracker.line(12, 30, 1.2341, 3.1));
        assertEquals("train: step 1/3 (33%)", ProgressTracker.line(1, 3, Double.NaN, Double.NaN));
        assertEquals(
                "train: step 3/3 (100%), loss 0.500, 0.25 s/step, ETA 0:00:00", ProgressTracker.line(3, 3, 0.5, 0.25));
        assertEquals(
                "train: step 10/1000 (1%), loss 2.000, 42 s/step, ETA 11:33:00", ProgressTracker.line(10, 1000, 2, 42));
        assertEquals("0:00:00", ProgressTracker.clock(0.4));
        assertEquals("1:01:01", ProgressTracker.clock(3661));
        assertEquals("27:46:40", ProgressTracker.clock(100_000));
    }

    @Test
    void paceCountsFromTheFirstObservationAndLinesComeAtMostEveryInterval() {
        ProgressTracker t = new ProgressTracker(30, 10 * S);
        assertEquals(Optional.of("train: step 2/30 (6%)"), t.observe(100 * S, 2, Double.NaN), "no pace yet");
        assertEquals(Optional.empty(), t.observe(105 * S, 4, 1.5), "5 s after the last line");
        // 8 steps in 24 s since the first observation: 3 s/step, 20 steps left
        assertEquals(
                Optional.of("train: step 10/30 (33%), loss 1.500, 3.0 s/step, ETA 0:01:00"),
                t.observe(124 * S, 10, 1.5));
        assertEquals(Optional.empty(), t.observe(134 * S, 10, 1.5), "no step since the last line");
        assertEquals(
                Optional.of("train: step 11/30 (36%), loss 1.400, 4.0 s/step, ETA 0:01:16"),
                t.observe(136 * S, 11, 1.4));
    }

    @Test
    void aStepCountGoingBackStartsThePaceAgain() {
        ProgressTracker t = new ProgressTracker(20, 10 * S);
        t.observe(0, 5, 2);
        t.observe(20 * S, 10, 2);
        // a retried stage resumed from checkpoint-6: shown at once, pace measured anew
        assertEquals(Optional.of("train: step 7/20 (35%), loss 2.000"), t.observe(25 * S, 7, 2));
        assertEquals(
                Optional.of("train: step 9/20 (45%), loss 1.000, 5.0 s/step, ETA 0:00:55"), t.observe(35 * S, 9, 1));
    }

    @Test
    void refusesAnEmptyPlan() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ProgressTracker(0, S));
        assertEquals("totalSteps must be >= 1, got 0", e.getMessage());
    }
}
