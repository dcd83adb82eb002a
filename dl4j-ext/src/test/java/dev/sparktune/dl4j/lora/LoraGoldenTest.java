package dev.sparktune.dl4j.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.PackedBatch;
import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelException;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.testkit.GoldenSpecs;
import dev.sparktune.testkit.ReferencePython;
import dev.sparktune.testkit.RepoPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * LoRA on frozen base weights against PEFT (scripts/goldens/model_lora.py): PEFT-written adapters load, packed-row
 * logits equal PEFT's per-document logits, the loss, and every adapter gradient (and only adapter gradients);
 * live: PEFT loads the adapters we save, and our merge equals PEFT's merge_and_unload.
 */
class LoraGoldenTest {
    static final Path GOLDENS = RepoPaths.resolve("dl4j-ext/src/test/resources/goldens");

    @Test
    void adapterGradientsAndLogitsMatchPeft() throws Exception {
        SafetensorsReader golden = SafetensorsReader.open(GOLDENS.resolve("lora/lora.safetensors"));
        JsonNode cases = new ObjectMapper().readTree(golden.metadata().get("cases"));
        List<String> report = new ArrayList<>();
        for (var it = cases.fields(); it.hasNext(); ) {
            var entry = it.next();
            String family = entry.getKey();
            JsonNode c = entry.getValue();
            HfModelDir.Loaded base = HfModelDir.load(GOLDENS.resolve("hf/" + family));
            Path adapterDir = GOLDENS.resolve("lora/" + family);
            LoraConfig lcfg = LoraAdapters.readConfig(adapterDir);
            assertEquals(c.get("rank").asInt(), lcfg.rank());
            assertEquals(c.get("use_rslora").asBoolean(), lcfg.rsLora());
            List<String> targets = new ArrayList<>();
            c.get("targets").forEach(t -> targets.add(t.asText()));
            assertEquals(Set.copyOf(targets), lcfg.targets());
            LoraAdapters adapters = new LoraAdapters(base.config(), lcfg, 0);
            INDArray aParams = adapters.load(adapterDir);
            INDArray aGrads = adapters.layout().allocate();
            INDArray baseBefore = base.params().dup();

            int seqLen = c.get("seq_len").asInt();
            int[][] docs = new int[c.get("doc_lens").size()][];
            for (int b = 0; b < docs.length; b++) {
                docs[b] = GoldenSpecs.ints(c.get("doc_lens").get(b));
            }
            PackedBatch packed = PackedBatch.fromDocLens(seqLen, docs);
            int[] ids = GoldenSpecs.ints(c.get("input_ids"));
            int[] targetsIds = CausalLm.targets(GoldenSpecs.ints(c.get("labels")), packed);
            CausalLm model = CausalLm.overFrozen(base, adapters.projections(aParams, aGrads), docs.length, seqLen, 7);
            long[] real = Arrays.stream(GoldenSpecs.ints(c.get("real_rows")))
                    .asLongStream()
                    .toArray();
            double logitDiff = maxAbs(
                    golden.read(family + "/logits").get(NDArrayIndex.indices(real)),
                    model.logits(ids, packed).get(NDArrayIndex.indices(real)));
            double loss = model.forwardBackward(
                    ids, targetsIds, packed, c.get("token_count").asDouble());
            double lossDiff = Math.abs(loss - golden.read(family + "/loss").getDouble(0));
            Set<String> expectedNames = new TreeSet<>();
            for (String n : golden.tensors().keySet()) {
                if (n.startsWith(family + "/d/")) {
                    expectedNames.add(n.substring((family + "/d/").length()));
                }
            }
            assertEquals(
                    expectedNames,
                    new TreeSet<>(adapters.layout().names()),
                    family + ": exactly PEFT's trainable tensors");
            double gradRel = 0;
            for (ParamLayout.Entry e : adapters.layout().entries()) {
                INDArray expected = golden.read(family + "/d/" + e.name());
                INDArray actual = adapters.layout().view(aGrads, e.name());
                gradRel = Math.max(
                        gradRel,
                        maxAbs(expected, actual) / expected.amaxNumber().doubleValue());
            }
            assertEquals(baseBefore, base.params(), "base weights untouched");
            String line = String.format(
                    "%-8s r=%d targets=%d  max|logit diff| %.2e  |loss diff| %.2e  max grad rel %.2e",
                    family, lcfg.rank(), lcfg.targets().size(), logitDiff, lossDiff, gradRel);
            report.add(line);
            assertTrue(logitDiff <= 1e-4 && lossDiff <= 1e-5 && gradRel <= 1e-3, line);
        }
        System.out.println("[LoraGoldenTest]\n  " + String.join("\n  ", report));
    }

    /** Never skipped: fails when the reference environment cannot be created. */
    @Test
    void peftLoadsOurAdapterAndOurMergeEqualsPeft(@TempDir Path tmp) throws Exception {
        int[] ids = {1, 5, 40, 0, 13, 44, 2, 9};
        String idList = Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
        List<String> report = new ArrayList<>();
        for (String family : List.of("qwen3", "mistral", "phi3", "gemma3", "qwen3_moe")) {
            Path baseDir = GOLDENS.resolve("hf/" + family);
            HfModelDir.Loaded base = HfModelDir.load(baseDir);
            LoraConfig lcfg = LoraAdapters.readConfig(GOLDENS.resolve("lora/" + family));
            LoraAdapters adapters = new LoraAdapters(base.config(), lcfg, 0);
            INDArray aParams = adapters.load(GOLDENS.resolve("lora/" + family));
            Path ours = tmp.resolve(family);
            adapters.save(ours, aParams, baseDir.toString());
            assertEquals(lcfg, LoraAdapters.readConfig(ours));

            PackedBatch one = PackedBatch.unpacked(1, ids.length);
            INDArray withAdapter = CausalLm.overFrozen(
                            base,
                            adapters.projections(aParams, adapters.layout().allocate()),
                            1,
                            ids.length,
                            4)
                    .logits(ids, one);
            INDArray merged = new CausalLm(
                            base.config(),
                            base.layout(),
                            adapters.merge(base.layout(), base.params(), aParams),
                            null,
                            1,
                            ids.length,
                            4)
                    .logits(ids, one);
            double peftDiff = diff(withAdapter, python("--logits", baseDir, ours, idList));
            double mergeDiff = diff(merged, python("--merged-logits", baseDir, ours, idList));
            double selfDiff = maxAbs(withAdapter, merged);
            String line = String.format(
                    "%-8s PEFT-loaded ours: max|logit diff| %.2e; merged vs PEFT merge %.2e;"
                            + " merged vs adapter %.2e",
                    family, peftDiff, mergeDiff, selfDiff);
            report.add(line);
            assertTrue(peftDiff <= 1e-4 && mergeDiff <= 1e-4 && selfDiff <= 1e-4, line);
        }
        System.out.println("[LoraGoldenTest live]\n  " + String.join("\n  ", report));
    }

    @Test
    void unsupportedAdaptersAreRefused(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("dora"));
        Files.writeString(
                dir.resolve("adapter_config.json"),
                Files.readString(GOLDENS.resolve("lora/qwen3/adapter_config.json"))
                        .replace("\"use_dora\": false", "\"use_dora\": true"));
        assertTrue(assertThrows(ModelException.class, () -> LoraAdapters.readConfig(dir))
                .getMessage()
                .contains("use_dora = true is not supported"));
        assertThrows(IllegalArgumentException.class, () -> LoraConfig.of(4, 8, 0, "qkv", false));
        assertEquals(
                LoraConfig.ALL.size(),
                LoraConfig.of(4, 8, 0, "all", false).targets().size());
    }

    @Test
    void loraTargetsArePeftsNamesOfEachFamilysProjections() {
        ModelConfig phi3 = HfConfigReader.read(GOLDENS.resolve("hf/phi3"));
        ModelConfig llama = HfConfigReader.read(GOLDENS.resolve("hf/llama"));
        LoraConfig all = LoraConfig.of(4, 8, 0, "all", false);
        assertEquals(
                List.of("qkv_proj", "o_proj", "gate_up_proj", "down_proj"),
                LoraAdapters.targetedProjections(phi3, all));
        assertEquals(
                List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
                LoraAdapters.targetedProjections(llama, all));
        // PEFT keeps one A [R, C] and one B [OUT_fused, R] per fused module
        ParamLayout layout = LoraAdapters.layout(phi3, LoraConfig.of(4, 8, 0, "qkv_proj", false));
        assertEquals(2 * phi3.numLayers(), layout.entries().size());
        assertArrayEquals(
                new long[] {(long) (phi3.numHeads() + 2 * phi3.numKvHeads()) * phi3.headDim(), 4},
                layout.entry(LoraAdapters.PEFT_PREFIX + "model.layers.0.self_attn.qkv_proj.lora_B.weight")
                        .shape());
        String split = assertThrows(
                        IllegalArgumentException.class,
                        () -> LoraAdapters.layout(phi3, LoraConfig.of(4, 8, 0, "q_proj,v_proj", false)))
                .getMessage();
        assertTrue(
                split.startsWith("lora_target q_proj, v_proj: not a projection of Phi3ForCausalLM; its projections are "
                        + "qkv_proj, o_proj, gate_up_proj, down_proj"),
                split);
        assertThrows(
                IllegalArgumentException.class,
                () -> LoraAdapters.layout(llama, LoraConfig.of(4, 8, 0, "gate_up_proj", false)));

        // Qwen3-MoE: the attention only; PEFT would adapt the MLP's names as the experts' 3-D parameters
        ModelConfig moe = HfConfigReader.read(GOLDENS.resolve("hf/qwen3_moe"));
        assertEquals(
                List.of("q_proj", "v_proj"),
                LoraAdapters.targetedProjections(moe, LoraConfig.of(4, 8, 0, "q_proj,v_proj", false)));
        String experts = assertThrows(
                        IllegalArgumentException.class,
                        () -> LoraAdapters.layout(moe, LoraConfig.of(4, 8, 0, "q_proj,down_proj", false)))
                .getMessage();
        assertTrue(
                experts.startsWith("lora_target down_proj: not a projection of Qwen3MoeForCausalLM; its projections"
                                + " are q_proj, k_proj, v_proj, o_proj")
                        && experts.contains("experts' 3-D parameters"),
                experts);
        // the fixture has a dense layer, whose gate/up/down LLaMA-Factory's all would name
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoraAdapters.layout(moe, all))
                .getMessage()
                .contains("with dense layers (mlp_only_layers)"));
    }

    private static JsonNode python(String mode, Path base, Path adapter, String ids) throws Exception {
        return new ObjectMapper()
                .readTree(ReferencePython.runScript(
                        "scripts/goldens/model_lora.py",
                        List.of(mode, base.toString(), adapter.toString(), ids),
                        Duration.ofMinutes(5)));
    }

    private static double diff(INDArray ours, JsonNode ref) {
        double max = 0;
        for (int t = 0; t < ours.size(0); t++) {
            for (int v = 0; v < ours.size(1); v++) {
                max = Math.max(max, Math.abs(ref.get(t).get(v).asDouble() - ours.getDouble(t, v)));
            }
        }
        return max;
    }

    private static double maxAbs(INDArray a, INDArray b) {
        return a.sub(b).amaxNumber().doubleValue();
    }
}
