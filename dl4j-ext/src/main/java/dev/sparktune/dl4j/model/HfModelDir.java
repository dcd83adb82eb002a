package dev.sparktune.dl4j.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.params.Views;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.safetensors.SafetensorsWriter;
import dev.sparktune.dl4j.safetensors.TensorDType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Hugging Face model directories: load config.json + safetensors weights into one flat parameter buffer, and save
 * one back (config.json, generation_config.json, sharded safetensors, tokenizer files copied) so that transformers'
 * {@code AutoModelForCausalLM.from_pretrained} loads it.
 */
public final class HfModelDir {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Files copied from a tokenizer directory when saving. */
    static final List<String> TOKENIZER_FILES = List.of(
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "vocab.json",
            "merges.txt",
            "tokenizer.model",
            "added_tokens.json",
            "chat_template.jinja",
            // a multimodal checkpoint's processor, so that the saved directory loads with AutoProcessor as the base did
            "preprocessor_config.json",
            "processor_config.json");

    private HfModelDir() {}

    /**
     * A loaded model.
     *
     * @param config its config
     * @param layout parameter layout ({@link HfParamNames})
     * @param params flat parameters in that layout: FLOAT, or BFLOAT16 / HALF holding frozen weights in the
     *               checkpoint's type
     */
    public record Loaded(ModelConfig config, ParamLayout layout, INDArray params) implements ModelWeights {
        @Override
        public DataType storedDataType() {
            return params.dataType();
        }

        @Override
        public void read(long from, long to, INDArray dst) {
            if (!TensorDType.convertsExactly(params.dataType(), dst.dataType())) {
                throw new IllegalArgumentException("parameters [" + from + ", " + to + ") are held as "
                        + params.dataType() + " and cannot be read into a " + dst.dataType() + " destination without"
                        + " rounding; read them into " + params.dataType() + " or FLOAT");
            }
            dst.assign(Views.range(params, from, to));
        }

        @Override
        public Loaded load(ParamLayout reordered, DataType dtype) {
            if (layout.entries().equals(reordered.entries()) && params.dataType() == dtype) {
                return this;
            }
            return ModelWeights.super.load(reordered, dtype);
        }
    }

    /**
     * A model directory opened but not read: tensors are read by range when asked, memory-mapped and converted
     * straight into the destination ({@link SafetensorsReader#readRange}).
     *
     * @param config its config
     * @param layout parameter layout ({@link HfParamNames})
     * @param reader the safetensors files
     */
    public record Stored(ModelConfig config, ParamLayout layout, SafetensorsReader reader) implements ModelWeights {
        /**
         * The one dtype every parameter of {@link #layout} is stored in, or F32 when they differ (a checkpoint mixing
         * types loads as fp32).
         */
        public TensorDType dtype() {
            TensorDType common = null;
            for (ParamLayout.Entry e : layout.entries()) {
                TensorDType t = reader.info(HfParamNames.stored(config.spec(), e.name()))
                        .dtype();
                if (common != null && t != common) {
                    return TensorDType.F32;
                }
                common = t;
            }
            return common;
        }

        @Override
        public DataType storedDataType() {
            TensorDType t = dtype();
            return t == TensorDType.BF16 || t == TensorDType.F16 ? t.nd4j() : DataType.FLOAT;
        }

        @Override
        public void read(long from, long to, INDArray dst) {
            for (ParamLayout.Entry e : layout.entries()) {
                long a = Math.max(from, e.offset());
                long z = Math.min(to, e.offset() + e.length());
                if (a < z) {
                    reader.readRange(
                            HfParamNames.stored(config.spec(), e.name()),
                            a - e.offset(),
                            z - e.offset(),
                            Views.range(dst, a - from, z - from));
                }
            }
        }
    }

    /**
     * Reads {@code dir}. Fails naming the tensor when one the config implies is missing or has another shape, and
     * names any tensor the config does not explain (except a duplicate {@code lm_head.weight} of a tied model and
     * legacy {@code rotary_emb.inv_freq} buffers). Of a multimodal checkpoint ({@link ModelSpec#wrapsText}) only the
     * text model is read; its other parts (vision tower, projector) are left in the files.
     */
    public static Loaded load(Path dir) {
        return open(dir).load();
    }

    /**
     * Opens {@code dir} without reading weights: the config, the layout and the tensor index, checked as
     * {@link #load} checks them; every tensor must be there with its shape before anything is read.
     */
    public static Stored open(Path dir) {
        ModelConfig config = HfConfigReader.read(dir);
        ModelSpec spec = config.spec();
        ParamLayout layout = HfParamNames.layout(config);
        SafetensorsReader reader = SafetensorsReader.open(dir);
        if (spec.wrapsText()
                && !reader.contains(HfParamNames.stored(spec, "model.embed_tokens.weight"))
                && reader.contains(HfParamNames.peftModule(spec, "model.embed_tokens.weight"))) {
            throw ModelErrors.badTensorFile(
                    dir.toString(),
                    "the text model's tensors are named as transformers names them in memory (model.language_model.*),"
                            + " not as its save_pretrained writes a " + spec.architecture()
                            + " (language_model.model.*); load it with transformers 5 and save it with save_pretrained");
        }
        Map<String, ParamLayout.Entry> byStoredName = new LinkedHashMap<>();
        layout.entries().forEach(e -> byStoredName.put(HfParamNames.stored(spec, e.name()), e));
        List<String> unexpected = new ArrayList<>();
        for (String name : reader.tensors().keySet()) {
            boolean tiedDuplicate =
                    config.tieWordEmbeddings() && name.equals(HfParamNames.stored(spec, "lm_head.weight"));
            boolean otherPart = spec.wrapsText() && !name.startsWith(HfParamNames.STORED_TEXT_PREFIX);
            if (!byStoredName.containsKey(name)
                    && !tiedDuplicate
                    && !otherPart
                    && !name.endsWith("rotary_emb.inv_freq")) {
                unexpected.add(name);
            }
        }
        if (!unexpected.isEmpty()) {
            throw ModelErrors.badTensorFile(
                    dir.toString(),
                    "tensors " + unexpected + " are not part of a " + spec.architecture()
                            + " with this config.json (wrong architecture or config?)");
        }
        for (Map.Entry<String, ParamLayout.Entry> s : byStoredName.entrySet()) {
            ParamLayout.Entry e = s.getValue();
            if (!reader.contains(s.getKey())) {
                throw ModelErrors.missingTensor(s.getKey(), e.shape(), dir.toString());
            }
            if (!Arrays.equals(reader.info(s.getKey()).shape(), e.shape())) {
                throw ModelErrors.shapeMismatch(
                        s.getKey(), e.shape(), reader.info(s.getKey()).shape(), dir.toString());
            }
        }
        return new Stored(config, layout, reader);
    }

    /**
     * Writes an HF model directory into {@code dir}: weights as F32 safetensors sharded at {@code maxShardBytes} (in
     * transformers' parameter order whatever order {@code layout} keeps them in), config.json,
     * generation_config.json, and the tokenizer files found in {@code tokenizerDir} (may be null).
     */
    public static List<Path> save(
            Path dir, ModelConfig config, ParamLayout layout, INDArray params, Path tokenizerDir, long maxShardBytes) {
        ParamLayout hfOrder = HfParamNames.layout(config);
        if (!hfOrder.sameParameters(layout)) {
            throw new IllegalArgumentException(
                    "the layout does not hold the parameters HfParamNames gives for this " + "config");
        }
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        hfOrder.entries().forEach(e -> tensors.put(e.name(), layout.view(params, e.name())));
        return save(dir, config, tensors, tokenizerDir, maxShardBytes);
    }

    /**
     * {@link #save(Path, ModelConfig, ParamLayout, INDArray, Path, long)} from one array per parameter, in
     * transformers' order (any of FLOAT, BFLOAT16, HALF: each is written as F32): the weights of a freeze run whose
     * frozen part stays in the checkpoint's dtype and whose trained part is fp32.
     */
    public static List<Path> save(
            Path dir, ModelConfig config, Map<String, INDArray> tensors, Path tokenizerDir, long maxShardBytes) {
        List<String> names = HfParamNames.layout(config).names();
        if (!new ArrayList<>(tensors.keySet()).equals(names)) {
            throw new IllegalArgumentException(
                    "the tensors are not the parameters HfParamNames gives for this config," + " in its order");
        }
        return save(dir, config, tensors::get, tokenizerDir, maxShardBytes);
    }

    /**
     * {@link #save(Path, ModelConfig, ParamLayout, INDArray, Path, long)} asking {@code tensor} for each parameter
     * in transformers' order just before writing it, the array valid until the next call: a fully sharded model
     * gathers one decoder layer at a time instead of assembling all of them.
     *
     * <p>A multimodal checkpoint's text model ({@link ModelSpec#wrapsText}) is saved as the whole checkpoint it came
     * from, so that transformers loads it with the same class: {@code tokenizerDir} must then be that base model
     * directory; its other tensors (vision tower, projector) are written after the text model's with their values
     * unchanged (as F32, like every tensor we write), and its config.json is copied (training changes no setting)
     * without its dtype, as {@link HfConfigWriter} writes none for the F32 weights.
     */
    public static List<Path> save(
            Path dir, ModelConfig config, Function<String, INDArray> tensor, Path tokenizerDir, long maxShardBytes) {
        ModelSpec spec = config.spec();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, String> names = new LinkedHashMap<>();
        HfParamNames.layout(config).entries().forEach(e -> {
            String stored = HfParamNames.stored(spec, e.name());
            shapes.put(stored, e.shape());
            names.put(stored, e.name());
        });
        SafetensorsReader base = spec.wrapsText() ? baseOfText(spec, tokenizerDir) : null;
        if (base != null) {
            base.tensors().forEach((name, info) -> {
                if (!name.startsWith(HfParamNames.STORED_TEXT_PREFIX)) {
                    shapes.put(name, info.shape());
                }
            });
        }
        List<Path> written = new ArrayList<>(SafetensorsWriter.builder()
                .maxShardBytes(maxShardBytes)
                .build()
                .write(dir, shapes, name -> names.containsKey(name) ? tensor.apply(names.get(name)) : base.read(name)));
        written.add(base != null ? copyConfigWithoutDtype(tokenizerDir, dir) : HfConfigWriter.write(config, dir));
        try {
            ObjectNode gen = MAPPER.createObjectNode();
            if (config.bosTokenId() >= 0) {
                gen.put("bos_token_id", config.bosTokenId());
            }
            if (config.eosTokenIds().size() == 1) {
                gen.put("eos_token_id", config.eosTokenIds().get(0));
            } else if (!config.eosTokenIds().isEmpty()) {
                config.eosTokenIds().forEach(gen.putArray("eos_token_id")::add);
            }
            Path genFile = dir.resolve("generation_config.json");
            Files.writeString(genFile, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(gen));
            written.add(genFile);
            if (tokenizerDir != null) {
                try (Stream<Path> files = Files.list(tokenizerDir)) {
                    for (Path f : files.filter(p ->
                                    TOKENIZER_FILES.contains(p.getFileName().toString()))
                            .toList()) {
                        written.add(Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the model directory " + dir + ": " + e.getMessage(), e);
        }
        return written;
    }

    /** The weights of the multimodal checkpoint in {@code baseDir} whose text model is saved. */
    private static SafetensorsReader baseOfText(ModelSpec spec, Path baseDir) {
        if (baseDir == null || !Files.isRegularFile(baseDir.resolve("config.json"))) {
            throw new IllegalArgumentException("saving the text model of a " + spec.architecture()
                    + " needs its base model directory (for the vision weights and config.json), got " + baseDir);
        }
        ModelSpec baseSpec = HfConfigReader.read(baseDir).spec();
        if (!baseSpec.equals(spec)) {
            throw new IllegalArgumentException(baseDir + " holds a " + baseSpec.architecture() + ", not the "
                    + spec.architecture() + " whose text model is saved");
        }
        return SafetensorsReader.open(baseDir);
    }

    private static Path copyConfigWithoutDtype(Path baseDir, Path dir) {
        try {
            ObjectNode config =
                    (ObjectNode) MAPPER.readTree(baseDir.resolve("config.json").toFile());
            for (String key : List.of("dtype", "torch_dtype")) {
                config.remove(key);
                config.properties().forEach(sub -> {
                    if (sub.getKey().endsWith("_config") && sub.getValue() instanceof ObjectNode part) {
                        part.remove(key);
                    }
                });
            }
            Path file = dir.resolve("config.json");
            Files.writeString(file, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(config));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot copy config.json of " + baseDir + " into " + dir + ": " + e.getMessage(), e);
        }
    }
}
