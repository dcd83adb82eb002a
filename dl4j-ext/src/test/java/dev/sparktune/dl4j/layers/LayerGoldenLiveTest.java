package dev.sparktune.dl4j.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.testkit.ReferencePython;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regenerates the layer goldens with the live reference stack (torch + transformers via {@link ReferencePython})
 * into a temp dir and checks our layers against them: catches drift between the checked-in file, the script and
 * the reference versions. Never skipped: it fails when the reference environment cannot be created.
 */
class LayerGoldenLiveTest {
    @Test
    void layersMatchFreshlyGeneratedTorchGoldens(@TempDir Path tmp) {
        Path out = tmp.resolve("layers.safetensors");
        String stdout = ReferencePython.runScript(
                "scripts/goldens/model_layers.py", List.of(out.toString()), Duration.ofMinutes(5));
        assertTrue(Files.isRegularFile(out), "script wrote no file; stdout: " + stdout);
        List<String> report = LayerGoldenChecks.checkAll(out);
        System.out.println("[LayerGoldenLiveTest] " + stdout.strip() + "\n  " + String.join("\n  ", report));
    }
}
