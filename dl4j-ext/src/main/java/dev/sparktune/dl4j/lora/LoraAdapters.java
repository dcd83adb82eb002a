package dev.sparktune.dl4j.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.dl4j.layers.AdapterSwitch;
import dev.sparktune.dl4j.layers.DropoutKeys;
import dev.sparktune.dl4j.layers.Gemm;
import dev.sparktune.dl4j.layers.LayerParams;
import dev.sparktune.dl4j.layers.Linear;
import dev.sparktune.dl4j.layers.LoraLinear;
import dev.sparktune.dl4j.layers.Projection;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelException;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.params.Views;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * LoRA adapters of a model in PEFT's format: the adapter layout under PEFT's tensor names
 * ({@code base_model.model.<module>.lora_A.weight} [R, IN], {@code ...lora_B.weight} [OUT, R]), PEFT's init
 * (A ~ kaiming-uniform(a=√5) = U(±1/√IN), B = 0), a {@link Projection.Factory} that wraps the targeted projections
 * of frozen base weights, and {@code adapter_config.json} + {@code adapter_model.safetensors} IO that
 * {@code PeftModel.from_pretrained} reads.
 */
public final class LoraAdapters {
    public static final String PEFT_PREFIX = "base_model.model.";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ModelConfig model;
    private final LoraConfig lora;
    private final ParamLayout layout;
    private final long seed;
    private final DropoutKeys dropoutKeys = new DropoutKeys();
    private final AdapterSwitch adapterSwitch = new AdapterSwitch();

    public LoraAdapters(ModelConfig model, LoraConfig lora, long dropoutSeed) {
        this.model = model;
        this.lora = lora;
        this.layout = layout(model, lora);
        this.seed = dropoutSeed;
    }

    /**
     * The adapter parameters of every targeted projection, layer by layer in {@link HfParamNames#projections} order.
     * A fused projection (Phi-3's qkv_proj, gate_up_proj) has one A [R, C] and one B [OUT_fused, R], as PEFT keeps
     * them.
     */
    public static ParamLayout layout(ModelConfig c, LoraConfig lora) {
        ParamLayout base = HfParamNames.layout(c);
        ParamLayout.Builder b = ParamLayout.builder();
        for (int l = 0; l < c.numLayers(); l++) {
            for (String p : targetedProjections(c, lora)) {
                String module = HfParamNames.layerPrefix(l) + HfParamNames.module(p);
                long[] shape = base.entry(module + ".weight").shape();
                b.add(PEFT_PREFIX + module + ".lora_A.weight", lora.rank(), shape[1]);
                b.add(PEFT_PREFIX + module + ".lora_B.weight", shape[0], lora.rank());
            }
        }
        return b.build();
    }

    public ParamLayout layout() {
        return layout;
    }

    /**
     * The projections of {@code c} that {@code lora} targets, in layer order. {@code lora_target: all} takes every
     * projection of the family; a named target the family does not have fails, naming the family's projections (Phi-3
     * fuses q/k/v into qkv_proj and gate/up into gate_up_proj, as PEFT names them).
     */
    private static final String MOE_MLP = "; LoRA on Qwen3-MoE's MLP is not supported: PEFT adapts its gate_proj,"
            + " up_proj and down_proj as the experts' 3-D parameters (target_parameters), which we do not implement";

    public static List<String> targetedProjections(ModelConfig c, LoraConfig lora) {
        List<String> own = HfParamNames.projections(c);
        List<String> foreign = LoraConfig.ALL.stream()
                .filter(t -> lora.targets(t) && !own.contains(t))
                .toList();
        if (!lora.all() && !foreign.isEmpty()) {
            throw new IllegalArgumentException("lora_target " + String.join(", ", foreign) + ": not a projection of "
                    + c.spec().architecture() + "; its projections are " + String.join(", ", own) + " (or all)"
                    + (c.isMoe() ? MOE_MLP : ""));
        }
        if (lora.all() && c.isMoe() && c.moe().sparseLayers().contains(false)) {
            // LLaMA-Factory's all would name the dense layers' gate/up/down, which PEFT maps onto the experts
            throw new IllegalArgumentException(
                    "lora_target all on a " + c.spec().architecture()
                            + " with dense layers (mlp_only_layers) would adapt its MLP" + MOE_MLP + "; name "
                            + String.join(", ", own));
        }
        return own.stream().filter(lora::targets).toList();
    }

    /**
     * LoRA+ (loraplus_lr_ratio, as LLaMA-Factory builds its optimizer groups): every lora_B matrix at {@code ratio}
     * × the scheduled lr, lora_A at the lr itself; 0 = plain LoRA (every adapter at the lr).
     */
    public static ToDoubleFunction<ParamLayout.Entry> loraPlusLrScale(double ratio) {
        if (ratio < 0 || Double.isNaN(ratio) || Double.isInfinite(ratio)) {
            throw new IllegalArgumentException("loraplus_lr_ratio must be >= 0 (0 = off), got " + ratio);
        }
        return e -> ratio > 0 && e.name().endsWith(".lora_B.weight") ? ratio : 1.0;
    }

    public LoraConfig config() {
        return lora;
    }

    /** PEFT's initialisation into a new flat buffer: A ~ U(±1/√IN), B = 0. */
    public INDArray init(long initSeed) {
        INDArray flat = layout.allocate();
        Random random = new Random(initSeed);
        for (ParamLayout.Entry e : layout.entries()) {
            if (e.name().endsWith("lora_A.weight")) {
                double bound = 1.0 / Math.sqrt(e.shape()[1]);
                float[] v = new float[(int) e.length()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                }
                layout.view(flat, e.name()).assign(Nd4j.create(v, e.shape(), 'c'));
            }
        }
        return flat;
    }

    /**
     * Projections for a model whose base parameters are frozen: targeted ones get an adapter whose A and B are
     * views of {@code params} and whose gradients are views of {@code grads}; the rest stay plain frozen linears.
     */
    public Projection.Factory projections(INDArray params, INDArray grads) {
        LayerParams adapters = new LayerParams(layout, params, grads, PEFT_PREFIX);
        return (base, name, rows, use) -> {
            Linear frozen = Linear.frozen(
                    base.prefix() + name, base.value(name + ".weight"), base.valueOrNull(name + ".bias"), rows, use);
            // a part of a fused weight (Phi-3's q_proj in qkv_proj) carries the fused module's adapter: PEFT's
            // delta s·B·A·x on the fused output is, on the part's rows, s·B[rows]·A·x; the parts share A (each adds
            // its share into dA) and own disjoint rows of B, and share the dropout seed, hence PEFT's one mask
            HfParamNames.Part part = base.part(name + ".weight");
            String module = part == null ? base.prefix() + name : part.fused();
            if (!lora.targets(module.substring(module.lastIndexOf('.') + 1))) {
                return frozen;
            }
            INDArray b = adapters.value(module + ".lora_B.weight");
            INDArray dB = adapters.grad(module + ".lora_B.weight");
            if (part != null) {
                b = Views.rows(b, part.from(), part.to());
                dB = dB == null ? null : Views.rows(dB, part.from(), part.to());
            }
            return new LoraLinear(
                    base.prefix() + name,
                    frozen,
                    adapters.value(module + ".lora_A.weight"),
                    b,
                    adapters.grad(module + ".lora_A.weight"),
                    dB,
                    lora.scaling(),
                    lora.dropout(),
                    seed * 31 + module.hashCode(),
                    dropoutKeys,
                    adapterSwitch,
                    rows);
        };
    }

    /**
     * The keys of the next forward's dropout masks, one per batch row, shared by every adapter this object builds;
     * see {@link DropoutKeys#of}.
     */
    public DropoutKeys dropoutKeys() {
        return dropoutKeys;
    }

    /**
     * Turns every adapter this object builds off and on (PEFT's {@code disable_adapter()}): while off, the model is
     * its base.
     */
    public AdapterSwitch adapterSwitch() {
        return adapterSwitch;
    }

    /**
     * The name adapter entry {@code name} (of {@link #layout}) has in {@code adapter_model.safetensors}: PEFT's name
     * for the module on the model transformers builds ({@link HfParamNames#peftModule}), so that
     * {@code PeftModel.from_pretrained} loads it onto a multimodal checkpoint too.
     */
    public static String fileName(ModelConfig c, String name) {
        return PEFT_PREFIX + HfParamNames.peftModule(c.spec(), name.substring(PEFT_PREFIX.length()));
    }

    /**
     * {@code adapter_config.json}'s target_modules: the projection names; on a multimodal checkpoint
     * ({@link dev.sparktune.dl4j.model.ModelSpec#wrapsText}) the full module paths of the text model's projections instead, as LLaMA-Factory
     * writes them, because PEFT matches a bare name by suffix and would put adapters on the vision tower's
     * q_proj / k_proj / v_proj too.
     */
    private List<String> targetModules() {
        if (!model.spec().wrapsText()) {
            return targetedProjections(model, lora);
        }
        List<String> modules = new ArrayList<>();
        for (int l = 0; l < model.numLayers(); l++) {
            for (String p : targetedProjections(model, lora)) {
                modules.add(
                        HfParamNames.peftModule(model.spec(), HfParamNames.layerPrefix(l) + HfParamNames.module(p)));
            }
        }
        return modules;
    }

    /** Writes {@code adapter_config.json} and {@code adapter_model.safetensors} (PEFT's layout) into {@code dir}. */
    public List<Path> save(Path dir, INDArray params, String baseModelPath) {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        layout.views(params).forEach((name, view) -> tensors.put(fileName(model, name), view));
        List<Path> written = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempDirectory(dir, ".adapter");
            Path file = SafetensorsWriter.builder()
                    .maxShardBytes(Long.MAX_VALUE)
                    .build()
                    .write(tmp, tensors)
                    .get(0);
            written.add(
                    Files.move(file, dir.resolve("adapter_model.safetensors"), StandardCopyOption.REPLACE_EXISTING));
            Files.delete(tmp);
            ObjectNode cfg = MAPPER.createObjectNode();
            cfg.put("peft_type", "LORA");
            cfg.put("task_type", "CAUSAL_LM");
            cfg.put("r", lora.rank());
            cfg.put("lora_alpha", lora.alpha());
            cfg.put("lora_dropout", lora.dropout());
            cfg.put("use_rslora", lora.rsLora());
            ArrayNode targets = cfg.putArray("target_modules");
            targetModules().forEach(targets::add);
            cfg.put("bias", "none");
            cfg.put("fan_in_fan_out", false);
            cfg.put("inference_mode", true);
            cfg.put("init_lora_weights", true);
            cfg.putNull("modules_to_save");
            cfg.put("base_model_name_or_path", baseModelPath == null ? "" : baseModelPath);
            Path json = dir.resolve("adapter_config.json");
            Files.writeString(json, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(cfg));
            written.add(json);
            return written;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the LoRA adapter into " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The LoRA settings of a PEFT adapter directory ({@code adapter_config.json}). */
    public static LoraConfig readConfig(Path dir) {
        Path json = dir.resolve("adapter_config.json");
        try {
            JsonNode c = MAPPER.readTree(json.toFile());
            if (!"LORA".equals(c.path("peft_type").asText())) {
                throw new ModelException(json + ": peft_type is \""
                        + c.path("peft_type").asText() + "\"; only LORA adapters are supported");
            }
            for (String flag : List.of("use_dora", "lora_bias", "use_qalora")) {
                if (c.path(flag).asBoolean(false)) {
                    throw new ModelException(json + ": " + flag + " = true is not supported (plain LoRA only)");
                }
            }
            for (String pattern : List.of("rank_pattern", "alpha_pattern")) {
                if (c.path(pattern).size() > 0) {
                    throw new ModelException(json + ": per-module " + pattern + " is not supported");
                }
            }
            if (!c.path("bias").asText("none").equals("none")) {
                throw new ModelException(
                        json + ": bias = \"" + c.path("bias").asText() + "\" is not supported; " + "expected \"none\"");
            }
            JsonNode t = c.path("target_modules");
            String targets;
            if (t.isTextual()) {
                targets = t.asText().equals("all-linear") ? "all" : t.asText();
            } else {
                // a module path (LLaMA-Factory lists them on a multimodal model) targets the projection it ends in;
                // one outside the text model is refused, as we train the text model only
                Set<String> names = new LinkedHashSet<>();
                for (JsonNode n : t) {
                    String module = n.asText();
                    if (module.contains("vision_tower") || module.contains("multi_modal_projector")) {
                        throw new ModelException(json + ": target_modules has " + module
                                + ", outside the text model; only the text model's adapters are supported");
                    }
                    names.add(module.substring(module.lastIndexOf('.') + 1));
                }
                targets = String.join(",", names);
            }
            return LoraConfig.of(
                    c.path("r").asInt(),
                    c.path("lora_alpha").asDouble(),
                    c.path("lora_dropout").asDouble(0.0),
                    targets,
                    c.path("use_rslora").asBoolean(false));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + json + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ModelException(json + ": " + e.getMessage(), e);
        }
    }

    /** Reads a PEFT adapter's tensors into a new flat buffer of {@link #layout()} (names and shapes checked). */
    public INDArray load(Path dir) {
        SafetensorsReader reader = SafetensorsReader.open(dir.resolve("adapter_model.safetensors"));
        INDArray flat = layout.allocate();
        for (ParamLayout.Entry e : layout.entries()) {
            reader.readInto(fileName(model, e.name()), layout.view(flat, e.name()));
        }
        return flat;
    }

    /** Merges the adapters into a copy of the base parameters: W ← W + s·B·A for each targeted projection. */
    public INDArray merge(ParamLayout baseLayout, INDArray baseParams, INDArray adapterParams) {
        INDArray merged = baseParams.dup();
        for (ParamLayout.Entry e : layout.entries()) {
            if (!e.name().endsWith(".lora_A.weight")) {
                continue;
            }
            String module = e.name().substring(PEFT_PREFIX.length(), e.name().length() - ".lora_A.weight".length());
            INDArray a = layout.view(adapterParams, e.name());
            INDArray b = layout.view(adapterParams, PEFT_PREFIX + module + ".lora_B.weight");
            INDArray w = baseLayout.view(merged, module + ".weight");
            Gemm.into(b, a, w, false, false, lora.scaling(), 1.0);
        }
        return merged;
    }

    public ModelConfig model() {
        return model;
    }
}
