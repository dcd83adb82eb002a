package dev.sparktune.dl4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class HfModelDirTest {
    static final Path HF = HfConfigReaderTest.HF;

    @Test
    void loadSaveLoadIsIdentityForEveryFamily(@TempDir Path tmp) throws IOException {
        Path tokenizer = Files.createDirectories(tmp.resolve("tok"));
        Files.writeString(tokenizer.resolve("tokenizer.json"), "{}");
        Files.writeString(tokenizer.resolve("unrelated.txt"), "x");
        for (String family : List.of("llama", "qwen2", "qwen3", "mistral", "phi3", "gemma3", "qwen3_moe")) {
            HfModelDir.Loaded a = HfModelDir.load(HF.resolve(family));
            Path out = tmp.resolve(family);
            HfModelDir.save(out, a.config(), a.layout(), a.params(), tokenizer, 10_000);
            assertTrue(Files.exists(out.resolve("model.safetensors.index.json")), "sharded");
            assertTrue(Files.exists(out.resolve("tokenizer.json")) && !Files.exists(out.resolve("unrelated.txt")));
            assertTrue(Files.exists(out.resolve("generation_config.json")));
            HfModelDir.Loaded b = HfModelDir.load(out);
            assertEquals(a.config(), b.config(), family);
            assertEquals(a.params(), b.params(), family);
        }
    }

    @Test
    void aReorderedLayoutLoadsAndSavesTheSameModel(@TempDir Path tmp) {
        // freeze fine-tuning keeps the trained parameters as one tail of the buffer; files stay in transformers' order
        HfModelDir.Stored stored = HfModelDir.open(HF.resolve("llama"));
        ParamLayout tailLast =
                stored.layout().withLast(name -> name.startsWith("model.layers.1.") || name.equals("lm_head.weight"));
        assertEquals(
                "lm_head.weight",
                tailLast.entries().get(tailLast.entries().size() - 1).name());
        assertEquals(
                "model.layers.1.input_layernorm.weight",
                tailLast.entries()
                        .get(tailLast.entries().size()
                                - stored.layout()
                                        .subset(name -> name.startsWith("model.layers.1."))
                                        .entries()
                                        .size()
                                - 1)
                        .name());
        HfModelDir.Loaded reordered = stored.load(tailLast);
        HfModelDir.Loaded plain = stored.load();
        for (ParamLayout.Entry e : plain.layout().entries()) {
            assertEquals(
                    plain.layout().view(plain.params(), e.name()),
                    tailLast.view(reordered.params(), e.name()),
                    e.name());
        }
        assertEquals(plain.params(), plain.load(tailLast).load(plain.layout()).params(), "in memory, both ways");
        HfModelDir.save(tmp, reordered.config(), tailLast, reordered.params(), null, 1L << 30);
        HfModelDir.Loaded back = HfModelDir.load(tmp);
        assertEquals(plain.params(), back.params());
        assertEquals(
                new ArrayList<>(plain.layout().views(plain.params()).keySet()),
                new ArrayList<>(SafetensorsReader.open(tmp).tensors().keySet()),
                "tensors written in transformers' order");
    }

    @Test
    void rangesReadFromTheFilesEqualTheLoadedModel() {
        for (String family : List.of("llama", "qwen2", "qwen3", "mistral", "phi3", "gemma3", "qwen3_moe")) {
            HfModelDir.Stored stored = HfModelDir.open(HF.resolve(family));
            HfModelDir.Loaded loaded = stored.load();
            long n = stored.layout().totalLength();
            // ranges crossing entry boundaries, one element, a whole entry, the tail
            ParamLayout.Entry second = stored.layout().entries().get(1);
            long[][] ranges = {
                {0, n / 3},
                {n / 3, 2 * n / 3 + 7},
                {5, 6},
                {second.offset(), second.offset() + second.length()},
                {n - 11, n}
            };
            for (long[] r : ranges) {
                INDArray dst = Nd4j.zeros(DataType.FLOAT, r[1] - r[0]);
                stored.read(r[0], r[1], dst);
                assertEquals(
                        loaded.params().get(NDArrayIndex.interval(r[0], r[1])),
                        dst,
                        family + " [" + r[0] + ", " + r[1] + ")");
            }
        }
    }

    private static Path badDir(Path tmp, String family, Consumer<Map<String, INDArray>> edit) throws IOException {
        HfModelDir.Loaded m = HfModelDir.load(HF.resolve(family));
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        m.layout().views(m.params()).forEach((k, v) -> tensors.put(k, v.dup()));
        edit.accept(tensors);
        Path dir = tmp.resolve(family + "-bad");
        SafetensorsWriter.builder().build().write(dir, tensors);
        Files.copy(HF.resolve(family).resolve("config.json"), dir.resolve("config.json"));
        return dir;
    }

    @Test
    void badModelDirsFailNamingTheTensor(@TempDir Path tmp) throws IOException {
        Path missing = badDir(tmp.resolve("a"), "qwen3", t -> t.remove("model.layers.1.mlp.up_proj.weight"));
        TensorMismatchException m = assertThrows(TensorMismatchException.class, () -> HfModelDir.load(missing));
        assertEquals("model.layers.1.mlp.up_proj.weight", m.tensor());
        assertTrue(m.getMessage().contains("expected shape [48, 32]) is missing"), m.getMessage());

        Path shape = badDir(tmp.resolve("b"), "llama", t -> t.put("model.norm.weight", Nd4j.zeros(33)));
        TensorMismatchException s = assertThrows(TensorMismatchException.class, () -> HfModelDir.load(shape));
        assertTrue(
                s.getMessage().contains("\"model.norm.weight\"")
                        && s.getMessage().contains("has shape [33] but" + " the config implies [32]"),
                s.getMessage());

        Path extra = badDir(
                tmp.resolve("c"), "mistral", t -> t.put("model.layers.0.self_attn.q_norm.weight", Nd4j.zeros(8)));
        assertTrue(assertThrows(ModelException.class, () -> HfModelDir.load(extra))
                .getMessage()
                .contains("[model.layers.0.self_attn.q_norm.weight] are not part of a MistralForCausalLM"));

        Path tied = badDir(tmp.resolve("d"), "qwen2", t -> t.put("lm_head.weight", t.get("model.embed_tokens.weight")));
        assertEquals(
                HfModelDir.load(HF.resolve("qwen2")).params(),
                HfModelDir.load(tied).params(),
                "a tied model's duplicate lm_head.weight is accepted");

        Path arch = badDir(tmp.resolve("e"), "llama", t -> {});
        Files.writeString(
                arch.resolve("config.json"),
                Files.readString(arch.resolve("config.json")).replace("LlamaForCausalLM", "GemmaForCausalLM"));
        assertThrows(UnsupportedArchitectureException.class, () -> HfModelDir.load(arch));
        ParamLayout other = ParamLayout.builder().add("x", 2).build();
        assertThrows(
                IllegalArgumentException.class,
                () -> HfModelDir.save(
                        tmp.resolve("f"),
                        HfModelDir.load(HF.resolve("llama")).config(),
                        other,
                        other.allocate(),
                        null,
                        1000));
    }
}
