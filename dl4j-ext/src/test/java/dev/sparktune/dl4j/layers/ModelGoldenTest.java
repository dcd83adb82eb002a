package dev.sparktune.dl4j.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.testkit.ReferencePython;
import dev.sparktune.testkit.RepoPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole model, packed rows, against transformers per document: checked-in goldens, and regenerated live. */
class ModelGoldenTest {
    static final Path GOLDENS = RepoPaths.resolve("dl4j-ext/src/test/resources/goldens/model_forward.safetensors");

    @Test
    void everyFamilyMatchesTransformersPerDocument() {
        List<String> report = ModelGoldenChecks.checkAll(GOLDENS);
        System.out.println("[ModelGoldenTest] " + GOLDENS.getFileName() + "\n  " + String.join("\n  ", report));
    }

    /** Never skipped: fails when the reference environment cannot be created. */
    @Test
    void everyFamilyMatchesFreshlyGeneratedGoldens(@TempDir Path tmp) {
        Path out = tmp.resolve("model_forward.safetensors");
        String stdout = ReferencePython.runScript(
                "scripts/goldens/model_forward.py",
                List.of(ModelGoldenChecks.FIXTURES.toString(), out.toString()),
                Duration.ofMinutes(5));
        assertTrue(Files.isRegularFile(out), "script wrote no file; stdout: " + stdout);
        List<String> report = ModelGoldenChecks.checkAll(out);
        System.out.println("[ModelGoldenTest live] " + stdout.strip() + "\n  " + String.join("\n  ", report));
    }
}
