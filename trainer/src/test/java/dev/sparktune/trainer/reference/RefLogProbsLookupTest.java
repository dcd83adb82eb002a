package dev.sparktune.trainer.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The ranks' lookup of reference log-probs by document id, over values read in any file order. */
class RefLogProbsLookupTest {
    @Test
    void findsEachDocumentsValuesWhateverTheOrderTheyWereReadIn() {
        long[] ids = {40, 3, 1L << 40, -7, 12};
        double[] logps = {-4.0, -0.3, -40.5, -7.25, -1.2};
        int[] tokens = {4, 3, 40, 7, 12};
        RefLogProbs.Lookup lookup = RefLogProbs.Lookup.of("ref", ids, logps, tokens);
        for (int i = 0; i < ids.length; i++) {
            assertEquals(logps[i], lookup.logp(ids[i], tokens[i]), "document " + ids[i]);
        }
        assertEquals(40, ids[0], "the caller's arrays are not reordered");
    }

    @Test
    void aMissingDocumentAnotherTokenCountOrATwiceScoredDocumentIsRefused() {
        RefLogProbs.Lookup lookup =
                RefLogProbs.Lookup.of("ref", new long[] {5, 2}, new double[] {-1, -2}, new int[] {1, 2});
        RefLogProbsException missing = assertThrows(RefLogProbsException.class, () -> lookup.logp(3, 1));
        assertTrue(missing.getMessage().contains("no reference log-prob of document 3"), missing.getMessage());
        RefLogProbsException count = assertThrows(RefLogProbsException.class, () -> lookup.logp(5, 4));
        assertTrue(count.getMessage().contains("scored 1 response tokens of document 5"), count.getMessage());
        RefLogProbsException twice = assertThrows(
                RefLogProbsException.class,
                () -> RefLogProbs.Lookup.of(
                        "ref", new long[] {9, 4, 9}, new double[] {-1, -2, -3}, new int[] {1, 2, 3}));
        assertTrue(twice.getMessage().contains("ref holds document 9 twice"), twice.getMessage());
    }
}
