package dev.sparktune.dl4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.PackedBatch;
import dev.sparktune.testkit.ReferencePython;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * init-model → our HF directory → transformers loads it → the same logits as our model (≤ 1e-4), every family
 * (live reference stack; never skipped).
 */
class ModelInitLiveTest {
    @Test
    void initSaveTransformersLoadSameLogits(@TempDir Path tmp) throws Exception {
        Path tok = Files.createDirectories(tmp.resolve("tok"));
        Files.writeString(tok.resolve("tokenizer.json"), """
                {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 44}},
                 "added_tokens": [{"id": 47, "content": "<eos>"}]}""");
        assertEquals(48, ModelInit.vocabSize(tok));
        int[] ids = {1, 5, 47, 0, 13, 44, 2, 9, 30};
        String idList = Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
        for (String arch : ModelSpecs.knownArchitectures()) {
            if (ModelSpecs.forArchitecture(arch).wrapsText()) {
                continue; // init-model writes causal LMs; its refusal of a multimodal one: Gemma3MultimodalTest
            }
            Path out = tmp.resolve(arch);
            ModelConfig cfg =
                    ModelInit.config(arch, ModelInit.vocabSize(tok), 32, 40, 2, 4, 2, null, arch.startsWith("Qwen"));
            HfModelDir.Loaded init = ModelInit.random(cfg, 3, 0.2);
            HfModelDir.save(out, cfg, init.layout(), init.params(), tok, 20000);
            assertTrue(Files.exists(out.resolve("tokenizer.json")));
            HfModelDir.Loaded m = HfModelDir.load(out);
            CausalLm model =
                    new CausalLm(m.config(), m.layout(), m.params(), m.layout().allocate(), 1, ids.length, 4);
            INDArray ours = model.logits(ids, PackedBatch.unpacked(1, ids.length));
            JsonNode ref = new ObjectMapper()
                    .readTree(ReferencePython.runScript(
                            "scripts/goldens/model_safetensors.py",
                            List.of("--logits", out.toString(), idList),
                            Duration.ofMinutes(5)));
            double max = 0;
            for (int t = 0; t < ids.length; t++) {
                for (int v = 0; v < m.config().vocabSize(); v++) {
                    max = Math.max(max, Math.abs(ref.get(t).get(v).asDouble() - ours.getDouble(t, v)));
                }
            }
            System.out.printf("[ModelInitLiveTest] %s: max|logit diff| vs transformers %.3e%n", arch, max);
            assertTrue(max <= 1e-4, arch + ": max|logit diff| " + max);
        }
        assertThrows(
                UnsupportedArchitectureException.class,
                () -> ModelInit.config("GPT2LMHeadModel", 48, 32, 40, 2, 4, 2, null, true));
    }
}
