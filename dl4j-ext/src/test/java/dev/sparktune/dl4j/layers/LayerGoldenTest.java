package dev.sparktune.dl4j.layers;

import dev.sparktune.testkit.RepoPaths;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Our layers against the checked-in torch autograd goldens (scripts/goldens/model_layers.py). */
class LayerGoldenTest {
    static final Path GOLDENS = RepoPaths.resolve("dl4j-ext/src/test/resources/goldens/layers.safetensors");

    @Test
    void everyLayerMatchesTorchAutograd() {
        List<String> report = LayerGoldenChecks.checkAll(GOLDENS);
        System.out.println("[LayerGoldenTest] " + GOLDENS.getFileName() + "\n  " + String.join("\n  ", report));
    }
}
