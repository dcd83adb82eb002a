package dev.sparktune.dl4j.safetensors;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.HfConfigWriter;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.testkit.ReferencePython;
import dev.sparktune.testkit.RepoPaths;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What we write loads in transformers: read each transformers-written fixture into a flat layout, write it back as
 * sharded safetensors plus our own config.json ({@link HfConfigWriter}), and have {@code from_pretrained} confirm
 * the same model class, bit-identical logits and bit-identical tensors (live reference stack; never skipped).
 */
class SafetensorsLiveTest {
    @Test
    void transformersLoadsWhatWeWrite(@TempDir Path tmp) throws IOException {
        for (String family : List.of("llama", "qwen2", "qwen3", "mistral", "phi3", "gemma3", "qwen3_moe")) {
            check(family, tmp.resolve(family));
        }
    }

    private static void check(String family, Path tmp) throws IOException {
        Path ref = RepoPaths.resolve("dl4j-ext/src/test/resources/goldens/hf/" + family);
        ParamLayout layout = HfParamNames.layout(HfConfigReader.read(ref));
        SafetensorsReader reader = SafetensorsReader.open(ref);
        INDArray flat = layout.allocate();
        for (ParamLayout.Entry e : layout.entries()) {
            reader.readInto(e.name(), layout.view(flat, e.name()));
        }
        Path ours = tmp.resolve("ours");
        List<Path> files =
                SafetensorsWriter.builder().maxShardBytes(12_000).build().write(ours, layout.views(flat));
        assertTrue(files.size() > 2, "expected a sharded write, got " + files);
        ModelConfig config = HfConfigReader.read(ref);
        HfConfigWriter.write(config, ours);
        String out = ReferencePython.runScript(
                "scripts/goldens/model_safetensors.py",
                List.of("--verify", ours.toString(), ref.toString()),
                Duration.ofMinutes(5));
        // the state dict lists a tied lm_head.weight once more
        int expected = layout.entries().size() + (layout.contains("lm_head.weight") ? 0 : 1);
        // and holds each sparse layer's experts as two 3-D tensors (gate_up_proj, down_proj), not 3 per expert
        for (int l = 0; l < config.numLayers(); l++) {
            expected -= config.isSparse(l) ? 3 * config.moe().numExperts() - 2 : 0;
        }
        assertTrue(out.contains("verified " + expected + " tensors"), family + ": " + out);
    }
}
