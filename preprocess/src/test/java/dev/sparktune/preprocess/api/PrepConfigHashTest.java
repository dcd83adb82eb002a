package dev.sparktune.preprocess.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.RecordComponent;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrepConfigHashTest {
    private static PrepConfig prep(int cutoffLen, String outputTable) {
        return PrepConfig.builder()
                .datasets(List.of("a", "b"))
                .datasetDir("data")
                .modelPath("/m")
                .cutoffLen(cutoffLen)
                .outputs(new PrepConfig.Outputs(outputTable, outputTable + "_rejects", outputTable + ".json"))
                .build();
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
    void canonicalFormCoversEveryPrepConfigSettingButTheOutputPaths() {
        long lines = PrepConfigHash.canonical(prep(2048, "/t")).lines().count() - 1; // minus the format line
        assertEquals(
                settings(PrepConfig.class),
                lines,
                "PrepConfig gained a setting: add it to " + "PrepConfigHash.canonical");
    }

    /** The settings a record holds: its components, those of nested sections counted one by one. */
    private static long settings(Class<?> record) {
        long count = 0;
        for (RecordComponent component : record.getRecordComponents()) {
            if (component.getName().equals("outputs")) {
                continue; // where the outputs go does not shape the rows
            }
            count += component.getType().isRecord() ? settings(component.getType()) : 1;
        }
        return count;
    }
}
