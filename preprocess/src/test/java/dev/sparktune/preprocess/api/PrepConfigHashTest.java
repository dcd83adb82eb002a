package dev.sparktune.preprocess.api;

import org.junit.jupiter.api.Test;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrepConfigHashTest {
    private static PrepConfig prep(int cutoffLen, String outputTable) {
        return PrepConfig.builder().datasets(List.of("a", "b")).datasetDir("data").modelPath("/m").cutoffLen(cutoffLen)
                .outputs(new PrepConfig.Outputs(outputTable, outputTable + "_rejects", outputTable + ".json")).build();
    }

    @Test
    void hashIsStableHexAndDependsOnRowShapingSettingsOnly() {
        String hash = PrepConfigHash.sha256(prep(2048, "/t"));
        assertTrue(hash.matches("[0-9a-f]{64}"), hash);
        assertEquals(hash, PrepConfigHash.sha256(prep(2048, "/t")));
        assertEquals(hash, PrepConfigHash.sha256(prep(2048, "s3a://elsewhere/t")), "output paths do not count");
        assertNotEquals(hash, PrepConfigHash.sha256(prep(1024, "/t")));
    }

    @Test
    void canonicalFormCoversEveryPrepConfigComponentButTheOutputPaths() {
        Set<String> outputs = Set.of("outputTable", "rejectsTable", "statsPath");
        long counted = Arrays.stream(PrepConfig.class.getRecordComponents()).map(RecordComponent::getName)
                .filter(name -> !outputs.contains(name)).count();
        long lines = PrepConfigHash.canonical(prep(2048, "/t")).lines().count() - 1; // minus the format line
        assertEquals(counted, lines, "PrepConfig gained a component: add it to PrepConfigHash.canonical");
    }
}
