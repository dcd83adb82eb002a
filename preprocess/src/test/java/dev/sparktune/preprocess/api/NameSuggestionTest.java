package dev.sparktune.preprocess.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class NameSuggestionTest {
    @Test
    void closestIsByEditDistanceIgnoringCase() {
        assertEquals("identity", NameSuggestion.closest("Identiy", List.of("alpaca_en", "identity", "glaive")));
        assertNull(NameSuggestion.closest("x", List.of()));
    }

    @Test
    void anAdjacentTranspositionIsOneEdit() {
        assertEquals(1, NameSuggestion.editDistance("qwne3", "qwen3"));
        assertEquals(0, NameSuggestion.editDistance("Qwen3", "qwen3"), "case is ignored");
        assertEquals("qwen3", NameSuggestion.closest("qwne3", List.of("qwen", "qwen3", "llama3")));
    }
}
