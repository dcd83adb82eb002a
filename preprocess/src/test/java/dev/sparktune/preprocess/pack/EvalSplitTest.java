package dev.sparktune.preprocess.pack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EvalSplitTest {
    @Test
    void fractionSelectsThatShareOfUniformHashes() {
        EvalSplit split = EvalSplit.fraction(0.1);
        SplittableRandom random = new SplittableRandom(1);
        int eval = 0;
        for (int i = 0; i < 100_000; i++) {
            eval += split.isEval(random.nextLong()) ? 1 : 0;
        }
        assertEquals(0.1, eval / 100_000.0, 0.005);
    }

    @Test
    void unsignedOrderIsUsed() {
        EvalSplit split = EvalSplit.fraction(0.5);
        assertTrue(split.isEval(0x7FFF_FFFF_FFFF_FFFFL));
        assertFalse(split.isEval(-1L), "0xFFFF... is the largest unsigned hash");
    }

    @Test
    void belowOrAtIncludesTheNthHash() {
        EvalSplit split = EvalSplit.belowOrAt(42);
        assertTrue(split.isEval(42));
        assertFalse(split.isEval(43));
        assertTrue(EvalSplit.belowOrAt(-1L).isEval(-1L));
        assertFalse(EvalSplit.noEval().isEval(0));
    }
}
