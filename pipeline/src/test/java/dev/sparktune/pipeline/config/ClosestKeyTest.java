package dev.sparktune.pipeline.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClosestKeyTest {
    private static final List<String> KNOWN = List.of(
            "sparktune.data.cutoff_len",
            "sparktune.data.mask_history",
            "sparktune.data.seed",
            "sparktune.spark.master",
            "sparktune.prep.partitions");

    @Test
    void typosTranspositionsAndMisplacedKeys() {
        assertEquals(Optional.of("sparktune.data.cutoff_len"), ClosestKey.among("sparktune.data.cutof_len", KNOWN));
        assertEquals(Optional.of("sparktune.data.cutoff_len"), ClosestKey.among("sparktune.data.cutofflen", KNOWN));
        assertEquals(
                Optional.of("sparktune.data.mask_history"), ClosestKey.among("sparktune.data.mask_hsitory", KNOWN));
        assertEquals(Optional.of("sparktune.data.seed"), ClosestKey.among("sparktune.train.seed", KNOWN));
        assertEquals(Optional.of("sparktune.prep.partitions"), ClosestKey.among("sparktune.prep.Partitions", KNOWN));
    }

    @Test
    void aPrefixPointsAtTheLongerName() {
        assertEquals(
                Optional.of("qwen3"), ClosestKey.among("qwen3_nothink", List.of("auto", "qwen", "qwen3", "llama3")));
        assertEquals(Optional.of("sparktune.data.cutoff_len"), ClosestKey.among("sparktune.data.cutoff", KNOWN));
    }

    @Test
    void nothingCloseMeansNoSuggestion() {
        assertEquals(Optional.empty(), ClosestKey.among("sparktune.data.learning_rate", KNOWN));
        assertEquals(Optional.empty(), ClosestKey.among("sparktune.data.x", KNOWN));
    }
}
