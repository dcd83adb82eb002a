package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.testkit.ReferenceGoldensTest;
import java.nio.file.Path;
import java.util.List;

/**
 * Whole model, packed rows, against transformers per document (scripts/goldens/model_forward.py): every family,
 * checked-in goldens, and regenerated live.
 */
class ModelGoldenTest implements ReferenceGoldensTest {
    @Override
    public GoldensFile goldens() {
        return new GoldensFile("model_forward.safetensors", "model_forward.py", ModelGoldenChecks.FIXTURES.toString());
    }

    @Override
    public List<String> checkGoldens(Path goldens) {
        return ModelGoldenChecks.checkAll(goldens);
    }
}
