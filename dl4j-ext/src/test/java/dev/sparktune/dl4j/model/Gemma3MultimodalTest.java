package dev.sparktune.dl4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.dl4j.generate.Generation;
import dev.sparktune.dl4j.generate.GenerationConfig;
import dev.sparktune.dl4j.generate.Generator;
import dev.sparktune.dl4j.generate.KvCacheDecoder;
import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.PackedBatch;
import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.safetensors.SafetensorsWriter;
import dev.sparktune.testkit.ReferencePython;
import dev.sparktune.testkit.RepoPaths;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gemma 3 4B and larger ship as Gemma3ForConditionalGeneration (a vision tower, a projector and the text model under
 * {@code language_model}); we train the text model. The fixture {@code hf/gemma3_vlm} is such a checkpoint whose text
 * model is the {@code hf/gemma3} fixture, so every proof of that text fixture (logits, gradients, generation against
 * transformers) holds for what we read here once the two read alike; the live checks run the reference stack and are
 * never skipped.
 */
class Gemma3MultimodalTest {
    private static final Path GOLDENS = RepoPaths.resolve("dl4j-ext/src/test/resources/goldens");
    private static final Path VLM = GOLDENS.resolve("hf/gemma3_vlm");
    private static final Path TEXT = GOLDENS.resolve("hf/gemma3");
    private static final String SCRIPT = "scripts/goldens/gemma3_multimodal.py";

    @Test
    void readsTheTextModelAloneAsTheTextFixture() throws Exception {
        HfModelDir.Loaded vlm = HfModelDir.load(VLM);
        HfModelDir.Loaded text = HfModelDir.load(TEXT);
        assertEquals("Gemma3ForConditionalGeneration", vlm.config().spec().architecture());
        for (RecordComponent c : ModelConfig.class.getRecordComponents()) {
            if (!c.getName().equals("spec") && !c.getName().equals("eosTokenIds")) {
                assertEquals(
                        c.getAccessor().invoke(text.config()), c.getAccessor().invoke(vlm.config()), c.getName());
            }
        }
        // the top level's eos ids, which transformers' generation stops at, over the text_config's
        assertEquals(List.of(1, 63), vlm.config().eosTokenIds());
        assertEquals(text.layout().names(), vlm.layout().names());
        assertTrue(text.layout().sameParameters(vlm.layout()));
        assertEquals(text.params(), vlm.params());
    }

    @Test
    void aRealGemma3ConfigReadsAsTransformersReadsIt(@TempDir Path tmp) throws Exception {
        // the shape of google/gemma-3-4b-it's config.json: its text_config lists only what differs from
        // Gemma3TextConfig's defaults, and the older rope_scaling field
        Path file = Files.writeString(tmp.resolve("config.json"), """
                {"architectures": ["Gemma3ForConditionalGeneration"], "boi_token_index": 255999,
                 "eoi_token_index": 256000, "eos_token_id": [1, 106], "image_token_index": 262144,
                 "initializer_range": 0.02, "mm_tokens_per_image": 256, "model_type": "gemma3",
                 "text_config": {"hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
                                 "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
                                 "sliding_window": 1024},
                 "torch_dtype": "bfloat16",
                 "vision_config": {"hidden_size": 1152, "image_size": 896, "intermediate_size": 4304,
                                   "model_type": "siglip_vision_model", "num_attention_heads": 16,
                                   "num_hidden_layers": 27, "patch_size": 14, "vision_use_head": false}}""");
        ModelConfig ours = HfConfigReader.read(file);
        JsonNode ref = new ObjectMapper()
                .readTree(ReferencePython.runScript(
                        SCRIPT, List.of("--text-config", file.toString()), Duration.ofMinutes(5)));
        assertEquals(ref.get("vocab_size").asInt(), ours.vocabSize());
        assertEquals(ref.get("hidden_size").asInt(), ours.hiddenSize());
        assertEquals(ref.get("intermediate_size").asInt(), ours.intermediateSize());
        assertEquals(ref.get("num_hidden_layers").asInt(), ours.numLayers());
        assertEquals(ref.get("num_attention_heads").asInt(), ours.numHeads());
        assertEquals(ref.get("num_key_value_heads").asInt(), ours.numKvHeads());
        assertEquals(ref.get("head_dim").asInt(), ours.headDim());
        assertEquals(ref.get("rms_norm_eps").asDouble(), ours.rmsNormEps());
        assertEquals(ref.get("max_position_embeddings").asInt(), ours.maxPositionEmbeddings());
        assertEquals(ref.get("sliding_window").asInt(), ours.slidingWindow());
        assertEquals(ref.get("query_pre_attn_scalar").asDouble(), ours.gemma().queryPreAttnScalar());
        assertEquals(ref.get("tie_word_embeddings").asBoolean(), ours.tieWordEmbeddings());
        List<Boolean> sliding = new ArrayList<>();
        ref.get("layer_types").forEach(t -> sliding.add(t.asText().equals("sliding_attention")));
        assertEquals(sliding, ours.gemma().slidingLayers());
        JsonNode global = ref.get("rope_parameters").get("full_attention");
        assertEquals(global.get("rope_theta").asDouble(), ours.rope().theta());
        assertEquals(global.get("factor").asDouble(), ours.rope().factor());
        assertEquals(global.get("rope_type").asText(), ours.rope().type().hfName());
        assertEquals(
                ref.get("rope_parameters")
                        .get("sliding_attention")
                        .get("rope_theta")
                        .asDouble(),
                ours.gemma().localRope().theta());
        List<Integer> eos = new ArrayList<>();
        ref.get("eos_token_id").forEach(e -> eos.add(e.asInt()));
        assertEquals(eos, ours.eosTokenIds());
    }

    @Test
    void whatWeSaveLoadsInTransformersAsTheSameCheckpoint(@TempDir Path tmp) {
        HfModelDir.Loaded vlm = HfModelDir.load(VLM);
        Path ours = tmp.resolve("ours");
        HfModelDir.save(ours, vlm.config(), vlm.layout(), vlm.params(), VLM, 20_000);
        // same class, bit-identical logits and every tensor (the vision tower's too) bit-identical
        String out = ReferencePython.runScript(
                "scripts/goldens/model_safetensors.py",
                List.of("--verify", ours.toString(), VLM.toString()),
                Duration.ofMinutes(5));
        assertTrue(out.contains("verified"), out);
        assertEquals(vlm.params(), HfModelDir.load(ours).params());
    }

    @Test
    void peftLoadsOurAdapterOnTheWholeModelAndTheMergedExportEqualsIt(@TempDir Path tmp) throws Exception {
        int[] ids = {1, 5, 40, 0, 13, 44, 2, 9};
        HfModelDir.Loaded vlm = HfModelDir.load(VLM);
        // the gemma3 LoRA golden (nonzero B) read on the text fixture, saved for the multimodal checkpoint
        Path golden = GOLDENS.resolve("lora/gemma3");
        LoraConfig lora = LoraAdapters.readConfig(golden);
        INDArray adapter = new LoraAdapters(HfConfigReader.read(TEXT), lora, 0).load(golden);
        LoraAdapters adapters = new LoraAdapters(vlm.config(), lora, 0);
        Path adapterDir = tmp.resolve("adapter");
        adapters.save(adapterDir, adapter, VLM.toString());
        assertEquals(lora, LoraAdapters.readConfig(adapterDir));
        assertEquals(adapter, adapters.load(adapterDir));

        INDArray mergedParams = adapters.merge(vlm.layout(), vlm.params(), adapter);
        Path export = tmp.resolve("export");
        HfModelDir.save(export, vlm.config(), vlm.layout(), mergedParams, VLM, 20_000);
        INDArray ours = new CausalLm(vlm.config(), vlm.layout(), mergedParams, null, 1, ids.length, 4)
                .logits(ids, PackedBatch.unpacked(1, ids.length));
        JsonNode ref = new ObjectMapper()
                .readTree(ReferencePython.runScript(
                        SCRIPT,
                        List.of(
                                "--check-export",
                                VLM.toString(),
                                adapterDir.toString(),
                                export.toString(),
                                Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","))),
                        Duration.ofMinutes(5)));
        double peft = maxDiff(ours, ref.get("peft"));
        double exported = maxDiff(ours, ref.get("export"));
        String line =
                String.format("merged vs PEFT-loaded adapter %.2e, vs transformers on the export %.2e", peft, exported);
        System.out.println("[Gemma3MultimodalTest] " + line);
        assertTrue(peft <= 1e-4 && exported <= 1e-4, line);
    }

    /** Generation on the text model: the tokens and every step's logits of transformers' generate() on the whole model. */
    @Test
    void greedyGenerationMatchesTransformersOnTheWholeModel() throws Exception {
        int[] prompt = {11, 30, 7, 25, 50, 33};
        int steps = 8;
        HfModelDir.Loaded vlm = HfModelDir.load(VLM);
        JsonNode ref = new ObjectMapper()
                .readTree(ReferencePython.runScript(
                        SCRIPT,
                        List.of(
                                "--generate",
                                VLM.toString(),
                                Arrays.stream(prompt)
                                        .mapToObj(Integer::toString)
                                        .collect(Collectors.joining(",")),
                                Integer.toString(steps)),
                        Duration.ofMinutes(5)));
        int[] greedy = new int[steps];
        for (int i = 0; i < steps; i++) {
            greedy[i] = ref.get("greedy").get(i).asInt();
        }
        Generation g = new Generator(vlm.config(), vlm.layout(), vlm.params())
                .generate(prompt, GenerationConfig.greedy(steps, Set.of()));
        assertArrayEquals(greedy, g.tokens());
        KvCacheDecoder decoder = new KvCacheDecoder(vlm.config(), vlm.layout(), vlm.params(), 32);
        double worst = 0;
        for (int step = 0; step < steps; step++) {
            float[] logits = decoder.append(step == 0 ? prompt : new int[] {greedy[step - 1]});
            JsonNode expected = ref.get("logits").get(step);
            for (int v = 0; v < logits.length; v++) {
                worst = Math.max(worst, Math.abs(expected.get(v).asDouble() - logits[v]));
            }
        }
        System.out.printf("[Gemma3MultimodalTest] generation: %d steps, max |logit diff| %.2e%n", steps, worst);
        assertTrue(worst <= 1e-4, "max |logit diff| " + worst);
    }

    @Test
    void whatWeDoNotTrainIsRefusedNamingIt(@TempDir Path tmp) throws Exception {
        String config = Files.readString(VLM.resolve("config.json"));
        ModelConfigException textType = assertThrows(
                ModelConfigException.class,
                () -> HfConfigReader.parse(config.replace("\"gemma3_text\"", "\"siglip_text_model\""), "cfg"));
        assertTrue(
                textType.getMessage().contains("text_config")
                        && textType.getMessage().contains("gemma3_text"),
                textType.getMessage());
        ObjectNode untied = (ObjectNode) new ObjectMapper().readTree(config);
        untied.put("tie_word_embeddings", false);
        ModelConfigException tie =
                assertThrows(ModelConfigException.class, () -> HfConfigReader.parse(untied.toString(), "cfg"));
        assertTrue(tie.getMessage().contains("tie_word_embeddings"), tie.getMessage());
        ModelException init = assertThrows(
                ModelException.class,
                () -> ModelInit.config("Gemma3ForConditionalGeneration", 64, 32, 48, 2, 4, 2, null, true));
        assertTrue(init.getMessage().contains("Gemma3ForCausalLM"), init.getMessage());
        // an adapter of LLaMA-Factory's that also adapts the vision tower: we train and merge the text model only
        Path dir = Files.createDirectories(tmp.resolve("vision-adapter"));
        Files.writeString(dir.resolve("adapter_config.json"), """
                {"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules":
                 ["model.language_model.layers.0.self_attn.q_proj",
                  "model.vision_tower.encoder.layers.0.self_attn.q_proj"]}""");
        ModelException vision = assertThrows(ModelException.class, () -> LoraAdapters.readConfig(dir));
        assertTrue(
                vision.getMessage().contains("model.vision_tower.encoder.layers.0.self_attn.q_proj"),
                vision.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> HfModelDir.save(
                        tmp.resolve("no-base"),
                        HfConfigReader.read(VLM),
                        HfModelDir.load(VLM).layout(),
                        HfModelDir.load(VLM).params(),
                        TEXT,
                        20_000));
        // the text model under its in-memory names: refused, saying how to re-save it
        Path renamed = Files.createDirectories(tmp.resolve("renamed"));
        Files.copy(VLM.resolve("config.json"), renamed.resolve("config.json"));
        SafetensorsReader stored = SafetensorsReader.open(VLM);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        stored.tensors()
                .keySet()
                .forEach(name -> tensors.put(
                        name.startsWith("language_model.model.")
                                ? "model.language_model." + name.substring("language_model.model.".length())
                                : name,
                        stored.read(name)));
        SafetensorsWriter.builder().build().write(renamed, tensors);
        ModelException memoryNames = assertThrows(ModelException.class, () -> HfModelDir.open(renamed));
        assertTrue(memoryNames.getMessage().contains("save_pretrained"), memoryNames.getMessage());
    }

    private static double maxDiff(INDArray ours, JsonNode ref) {
        double max = 0;
        for (int t = 0; t < ours.size(0); t++) {
            for (int v = 0; v < ours.size(1); v++) {
                max = Math.max(max, Math.abs(ref.get(t).get(v).asDouble() - ours.getDouble(t, v)));
            }
        }
        return max;
    }
}
