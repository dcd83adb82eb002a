package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.testkit.ReferenceGoldensTest;
import java.nio.file.Path;
import java.util.List;

/** Every layer against torch autograd (scripts/goldens/model_layers.py): checked-in goldens, and regenerated live. */
class LayerGoldenTest implements ReferenceGoldensTest {
    @Override
    public GoldensFile goldens() {
        return new GoldensFile("layers.safetensors", "model_layers.py");
    }

    @Override
    public List<String> checkGoldens(Path goldens) {
        return LayerGoldenChecks.checkAll(goldens);
    }
}
