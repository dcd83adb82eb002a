package dev.sparktune.dl4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Reads a Hugging Face {@code config.json} into a {@link ModelConfig}: both the transformers 5 layout
 * ({@code rope_parameters}) and the older one ({@code rope_theta} + {@code rope_scaling}). Fields a config.json may
 * omit take the defaults of the transformers config class; required fields and bad values fail with a
 * {@link ModelConfigException} naming the field.
 */
public final class HfConfigReader {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private HfConfigReader() {}

    /** Reads {@code path}, a config.json file or a model directory holding one. */
    public static ModelConfig read(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
        if (!Files.isRegularFile(file)) {
            throw new ModelException(file + ": no config.json here; expected a Hugging Face model directory");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        return parse(root, file.toString());
    }

    /** Parses config.json text; {@code source} names it in errors. */
    public static ModelConfig parse(String json, String source) {
        try {
            return parse(MAPPER.readTree(json), source);
        } catch (IOException e) {
            throw new ModelException(source + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    static ModelConfig parse(JsonNode root, String source) {
        if (root == null || !root.isObject()) {
            throw ModelErrors.badField(source, "<root>", root, "a JSON object");
        }
        JsonNode archs = root.get("architectures");
        if (archs == null || archs.isNull()) {
            throw ModelErrors.missingField(
                    source, "architectures", "a list with one of " + ModelSpecs.knownArchitectures());
        }
        if (!archs.isArray() || archs.size() != 1 || !archs.get(0).isTextual()) {
            throw ModelErrors.badField(
                    source,
                    "architectures",
                    archs,
                    "a list of exactly one name, one of " + ModelSpecs.knownArchitectures());
        }
        ModelSpec spec = ModelSpecs.forArchitecture(archs.get(0).asText(), source);
        checkModelType(root, source, spec, spec.modelType());
        return spec.wrapsText()
                ? decoder(textConfig(root, source, spec), source + " text_config", spec)
                : decoder(root, source, spec);
    }

    private static void checkModelType(JsonNode node, String source, ModelSpec spec, String expected) {
        String modelType = optText(node, "model_type", source, expected);
        if (!modelType.equals(expected)) {
            throw ModelErrors.clash(
                    source,
                    "model_type",
                    "model_type \"" + modelType + "\" does not match architecture " + spec.architecture()
                            + " (expected \"" + expected + "\")");
        }
    }

    /**
     * The text model's config of a multimodal checkpoint ({@link ModelSpec#wrapsText}): {@code text_config} over the
     * defaults of its config class that our text reader requires (real Gemma 3 4B+ configs list only what differs
     * from Gemma3TextConfig's defaults), with the top level's token ids, which transformers' generation reads, over
     * the text_config's. A tie_word_embeddings that differs between the two levels is refused: the checkpoint is
     * then ambiguous about whether lm_head is stored.
     */
    private static JsonNode textConfig(JsonNode root, String source, ModelSpec spec) {
        JsonNode text = root.get("text_config");
        if (text != null && !text.isNull() && !text.isObject()) {
            throw ModelErrors.badField(source, "text_config", text, "an object (the text model's config)");
        }
        ObjectNode merged = MAPPER.createObjectNode();
        // Gemma3TextConfig's defaults for the fields a text-only config.json must list
        merged.put("vocab_size", 262_208);
        merged.put("hidden_size", 2304);
        merged.put("intermediate_size", 9216);
        merged.put("num_hidden_layers", 26);
        merged.put("num_attention_heads", 8);
        merged.put("num_key_value_heads", 4);
        merged.put("head_dim", 256);
        if (text != null && text.isObject()) {
            merged.setAll((ObjectNode) text);
        }
        checkModelType(merged, source + " text_config", spec, spec.textModelType());
        for (String id : List.of("bos_token_id", "eos_token_id", "pad_token_id")) {
            if (root.has(id)) {
                merged.set(id, root.get(id));
            }
        }
        boolean textTie = optBool(merged, "tie_word_embeddings", source + " text_config", true);
        if (optBool(root, "tie_word_embeddings", source, true) != textTie) {
            throw ModelErrors.clash(
                    source,
                    "tie_word_embeddings",
                    "tie_word_embeddings differs between the top level and text_config; set both to the same value");
        }
        return merged;
    }

    /** The decoder's config ({@code root}: the causal LM's config.json, or a multimodal checkpoint's text model). */
    private static ModelConfig decoder(JsonNode root, String source, ModelSpec spec) {
        boolean gemma = spec.family() == ModelFamily.GEMMA3;
        if (gemma) { // Gemma3TextConfig names the MLP's activation hidden_activation
            String act = optText(root, "hidden_activation", source, "gelu_pytorch_tanh");
            if (!act.equals("gelu_pytorch_tanh")) {
                throw ModelErrors.unsupportedFeature(
                        source, "hidden_activation", '"' + act + '"', List.of("gelu_pytorch_tanh"));
            }
        } else {
            String act = optText(root, "hidden_act", source, "silu");
            if (!act.equals("silu")) {
                throw ModelErrors.badField(source, "hidden_act", '"' + act + '"', "\"silu\" (SwiGLU MLP)");
            }
        }

        int vocab = reqInt(root, "vocab_size", source);
        int hidden = reqInt(root, "hidden_size", source);
        int inter = reqInt(root, "intermediate_size", source);
        int layers = reqInt(root, "num_hidden_layers", source);
        int heads = reqInt(root, "num_attention_heads", source);
        int kvHeads = optInt(root, "num_key_value_heads", source, heads);
        if (heads % kvHeads != 0) {
            throw ModelErrors.clash(
                    source,
                    "num_key_value_heads",
                    "num_attention_heads (" + heads + ") must be a multiple of num_key_value_heads (" + kvHeads + ")");
        }
        int headDimDefault = hidden / heads;
        if (!has(root, "head_dim") && hidden % heads != 0) {
            throw ModelErrors.clash(
                    source,
                    "head_dim",
                    "head_dim is absent and hidden_size (" + hidden + ") is not a multiple of num_attention_heads ("
                            + heads + "); set head_dim");
        }
        int headDim = optInt(root, "head_dim", source, headDimDefault);
        if (spec.family() == ModelFamily.PHI3 && headDim != headDimDefault) {
            // Phi3Config checks its longrope factors against hidden_size / num_attention_heads: no other head_dim
            throw ModelErrors.clash(
                    source,
                    "head_dim",
                    "Phi3ForCausalLM's head_dim is hidden_size / num_attention_heads (" + headDimDefault + "), got "
                            + headDim);
        }
        if (headDim % 2 != 0) {
            throw ModelErrors.badField(source, "head_dim", headDim, "an even number (RoPE rotates pairs)");
        }
        double eps = optDouble(root, "rms_norm_eps", source, 1e-6);
        if (!(eps > 0)) {
            throw ModelErrors.badField(source, "rms_norm_eps", eps, "a number > 0");
        }
        int maxPos = optInt(root, "max_position_embeddings", source, spec.defaultMaxPositions());
        boolean tie = optBool(root, "tie_word_embeddings", source, gemma);
        RopeConfig rope = gemma
                ? gemmaRope(root, source, "full_attention", "rope_theta", 1_000_000.0, headDim)
                : readRope(root, source, spec, maxPos, headDim);
        ModelConfig.Gemma gemmaSettings = null;
        ModelConfig.Moe moeSettings = null;

        boolean attentionBias = optBool(root, "attention_bias", source, false);
        boolean qkvBias;
        boolean outputBias;
        boolean mlpBias = false;
        boolean qkNorm = false;
        int window = 0;
        switch (spec.family()) {
            case LLAMA -> {
                qkvBias = attentionBias;
                outputBias = attentionBias;
                mlpBias = optBool(root, "mlp_bias", source, false);
            }
            case QWEN2 -> {
                qkvBias = true;
                outputBias = false;
                rejectQwenSlidingWindow(root, source);
            }
            case QWEN3, QWEN3_MOE -> {
                qkvBias = attentionBias;
                outputBias = attentionBias;
                qkNorm = true;
                rejectQwenSlidingWindow(root, source);
                if (spec.family() == ModelFamily.QWEN3_MOE) {
                    moeSettings = moeSettings(root, source, layers);
                }
            }
            case MISTRAL, PHI3 -> {
                qkvBias = false;
                outputBias = false;
                window =
                        root.has("sliding_window") && root.get("sliding_window").isNull()
                                ? 0
                                : optInt(root, "sliding_window", source, spec.defaultSlidingWindow());
                if (spec.family() == ModelFamily.PHI3) {
                    // transformers drops residual and embedding outputs with these while training; we do not
                    for (String dropout : List.of("resid_pdrop", "embd_pdrop")) {
                        if (optDouble(root, dropout, source, 0.0) != 0.0) {
                            throw ModelErrors.unsupportedFeature(
                                    source, dropout, root.get(dropout).asText(), List.of("0.0"));
                        }
                    }
                }
            }
            case GEMMA3 -> {
                qkvBias = false;
                outputBias = false;
                qkNorm = true;
                if (attentionBias) {
                    throw ModelErrors.unsupportedFeature(source, "attention_bias", "true", List.of("false"));
                }
                window = optInt(root, "sliding_window", source, spec.defaultSlidingWindow());
                gemmaSettings = gemmaSettings(root, source, layers, headDim);
            }
            default -> throw new IllegalStateException(spec.family().toString());
        }
        // absent: Gemma3TextConfig's defaults are bos 2, eos 1, pad 0; Phi3Config's pad is 32000; the others' none
        int bos = optInt(root, "bos_token_id", source, gemma ? 2 : -1);
        int defaultPad = switch (spec.family()) {
            case PHI3 -> 32000;
            case GEMMA3 -> 0;
            default -> -1;
        };
        JsonNode padNode = root.get("pad_token_id");
        int pad;
        if (padNode == null ? defaultPad < 0 : padNode.isNull()) {
            pad = -1; // no padding row
        } else {
            if (padNode != null && !(padNode.isIntegralNumber() && padNode.canConvertToInt())) {
                throw ModelErrors.badField(source, "pad_token_id", padNode, "an integer, or null");
            }
            int id = padNode == null ? defaultPad : padNode.asInt();
            // nn.Embedding's padding_idx takes [-vocab_size, vocab_size) and counts a negative id from the end (-1:
            // the last row, as older Llama conversions ship it)
            if (id < -vocab || id >= vocab) {
                throw ModelErrors.clash(
                        source,
                        "pad_token_id",
                        "pad_token_id " + id
                                + (padNode == null ? " (absent: " + spec.architecture() + "'s default)" : "")
                                + " is outside [-vocab_size, vocab_size) = [" + (-vocab) + ", " + vocab
                                + ") (transformers' embedding rejects it too); set pad_token_id to a token id or null");
            }
            pad = id < 0 ? vocab + id : id;
        }
        List<Integer> eos = new ArrayList<>();
        JsonNode eosNode = root.get("eos_token_id");
        if (gemma && !root.has("eos_token_id")) {
            eos.add(1);
        }
        if (eosNode != null && !eosNode.isNull()) {
            if (eosNode.isInt()) {
                eos.add(eosNode.asInt());
            } else if (eosNode.isArray()) {
                for (JsonNode e : eosNode) {
                    if (!e.isInt()) {
                        throw ModelErrors.badField(source, "eos_token_id", eosNode, "an int or a list of ints");
                    }
                    eos.add(e.asInt());
                }
            } else {
                throw ModelErrors.badField(source, "eos_token_id", eosNode, "an int or a list of ints");
            }
        }
        try {
            return new ModelConfig(
                    spec,
                    vocab,
                    hidden,
                    inter,
                    layers,
                    heads,
                    kvHeads,
                    headDim,
                    eps,
                    rope,
                    maxPos,
                    tie,
                    qkvBias,
                    outputBias,
                    mlpBias,
                    qkNorm,
                    window,
                    bos,
                    eos,
                    pad,
                    gemmaSettings,
                    moeSettings);
        } catch (IllegalArgumentException e) {
            throw ModelErrors.clash(source, "<config>", e.getMessage());
        }
    }

    /**
     * Qwen3-MoE's experts as Qwen3MoeConfig reads them: num_experts (default 128; transformers 5 writes it as
     * num_local_experts), num_experts_per_tok (8), moe_intermediate_size (768), norm_topk_prob (false), and which
     * layers are sparse: those not in mlp_only_layers whose (index + 1) is a multiple of decoder_sparse_step (1).
     * output_router_logits true (the load-balancing loss in training) is refused: we do not compute that loss.
     */
    private static ModelConfig.Moe moeSettings(JsonNode root, String source, int layers) {
        String expertsKey = has(root, "num_experts") ? "num_experts" : "num_local_experts";
        int experts = optInt(root, expertsKey, source, 128);
        int topK = optInt(root, "num_experts_per_tok", source, 8);
        if (topK > experts) {
            throw ModelErrors.clash(
                    source,
                    "num_experts_per_tok",
                    "num_experts_per_tok (" + topK + ") is more than " + expertsKey + " (" + experts + ")");
        }
        int inter = optInt(root, "moe_intermediate_size", source, 768);
        boolean norm = optBool(root, "norm_topk_prob", source, false);
        int step = optInt(root, "decoder_sparse_step", source, 1);
        if (optBool(root, "output_router_logits", source, false)) {
            throw ModelErrors.unsupportedFeature(source, "output_router_logits", "true", List.of("false"));
        }
        double auxCoef = optDouble(root, "router_aux_loss_coef", source, 0.001);
        Set<Integer> dense = new HashSet<>();
        JsonNode only = root.get("mlp_only_layers");
        if (only != null && !only.isNull()) {
            String allowed = "a list of layer indices in [0, num_hidden_layers " + layers + ")";
            if (!only.isArray()) {
                throw ModelErrors.badField(source, "mlp_only_layers", only, allowed);
            }
            for (JsonNode l : only) {
                if (!l.isIntegralNumber() || !l.canConvertToInt() || l.asInt() < 0 || l.asInt() >= layers) {
                    throw ModelErrors.badField(source, "mlp_only_layers", only, allowed);
                }
                dense.add(l.asInt());
            }
        }
        List<Boolean> sparse = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            sparse.add(!dense.contains(l) && (l + 1) % step == 0);
        }
        return new ModelConfig.Moe(experts, topK, inter, norm, sparse, auxCoef);
    }

    /**
     * Gemma 3's attention settings as Gemma3TextConfig reads them: layer_types, else sliding_window_pattern (default
     * 6: every 6th layer global); query_pre_attn_scalar (default 256); the sliding layers' rope. Logit soft-capping
     * and bidirectional attention (Gemma 3 sets neither) are refused.
     */
    private static ModelConfig.Gemma gemmaSettings(JsonNode root, String source, int layers, int headDim) {
        for (String cap : List.of("attn_logit_softcapping", "final_logit_softcapping")) {
            if (has(root, cap)) {
                throw ModelErrors.unsupportedFeature(source, cap, root.get(cap).asText(), List.of("null"));
            }
        }
        if (optBool(root, "use_bidirectional_attention", source, false)) {
            throw ModelErrors.unsupportedFeature(source, "use_bidirectional_attention", "true", List.of("false"));
        }
        List<Boolean> sliding = new ArrayList<>();
        JsonNode types = root.get("layer_types");
        if (types != null && !types.isNull()) {
            if (!types.isArray() || types.size() != layers) {
                throw ModelErrors.badField(
                        source,
                        "layer_types",
                        types,
                        "a list of num_hidden_layers (" + layers + ") \"sliding_attention\" / \"full_attention\"");
            }
            for (JsonNode t : types) {
                String name = t.asText();
                if (!t.isTextual() || !(name.equals("sliding_attention") || name.equals("full_attention"))) {
                    throw ModelErrors.badField(source, "layer_types", t, "\"sliding_attention\" or \"full_attention\"");
                }
                sliding.add(name.equals("sliding_attention"));
            }
        } else {
            int pattern = optInt(root, "sliding_window_pattern", source, 6);
            for (int l = 0; l < layers; l++) {
                sliding.add((l + 1) % pattern != 0);
            }
        }
        double scalar = optDouble(root, "query_pre_attn_scalar", source, 256.0);
        if (!(scalar > 0)) {
            throw ModelErrors.badField(source, "query_pre_attn_scalar", scalar, "a number > 0");
        }
        RopeConfig local = gemmaRope(root, source, "sliding_attention", "rope_local_base_freq", 10_000.0, headDim);
        if (local.type() != RopeConfig.Type.DEFAULT) {
            throw ModelErrors.unsupportedFeature(
                    source,
                    "rope_parameters.sliding_attention.rope_type",
                    local.type().hfName(),
                    List.of("default"));
        }
        return new ModelConfig.Gemma(scalar, sliding, local);
    }

    /**
     * One layer kind's rope of a Gemma 3 config: {@code rope_parameters.<kind>} (transformers 5), else the older
     * fields: theta from {@code thetaField} (rope_theta for the global layers, rope_local_base_freq for the sliding
     * ones) and, for the global layers only, {@code rope_scaling}. Types: default and linear (Gemma-3 4B+).
     */
    private static RopeConfig gemmaRope(
            JsonNode root, String source, String kind, String thetaField, double defaultTheta, int headDim) {
        String field = "rope_parameters." + kind;
        JsonNode params = null;
        JsonNode all = root.get("rope_parameters");
        if (all != null && !all.isNull()) {
            if (!all.isObject() || !all.has("full_attention") && !all.has("sliding_attention")) {
                throw ModelErrors.badField(
                        source, "rope_parameters", all, "an object keyed by full_attention / sliding_attention");
            }
            params = all.get(kind);
        } else if (kind.equals("full_attention")) {
            params = root.get("rope_scaling");
            field = "rope_scaling";
        }
        JsonNode p = ropeObject(params, source, field);
        double theta = p.has("rope_theta")
                ? num(p, "rope_theta", source, field)
                : optDouble(root, thetaField, source, defaultTheta);
        String typeName = ropeTypeName(p);
        String f = field;
        return checkedRope(source, field, headDim, () -> switch (typeName) {
            case "default" -> RopeConfig.defaultRope(theta);
            case "linear" -> new RopeConfig(RopeConfig.Type.LINEAR, theta, reqNum(p, "factor", source, f), 0, 0, 0);
            default ->
                throw ModelErrors.unsupportedFeature(source, f + ".rope_type", typeName, List.of("default", "linear"));
        });
    }

    /** A rope parameters object ({@code rope_scaling} / {@code rope_parameters}): null or absent is the default's. */
    private static JsonNode ropeObject(JsonNode params, String source, String field) {
        if (params == null || params.isNull()) {
            return MAPPER.createObjectNode();
        }
        if (!params.isObject()) {
            throw ModelErrors.badField(source, field, params, "an object with rope_type, or null");
        }
        return params;
    }

    /** The type a rope parameters object names: rope_type, or type in older config.json files; default if neither. */
    private static String ropeTypeName(JsonNode params) {
        return params.has("rope_type")
                ? params.get("rope_type").asText()
                : params.has("type") ? params.get("type").asText() : "default";
    }

    private static void rejectQwenSlidingWindow(JsonNode root, String source) {
        if (optBool(root, "use_sliding_window", source, false)) {
            throw ModelErrors.unsupportedFeature(source, "use_sliding_window", "true", List.of("false"));
        }
    }

    private static RopeConfig readRope(JsonNode root, String source, ModelSpec spec, int maxPos, int headDim) {
        boolean phi3 = spec.family() == ModelFamily.PHI3;
        JsonNode params = root.get("rope_parameters");
        String field = "rope_parameters";
        double theta;
        if (params != null && !params.isNull()) {
            if (!params.isObject()) {
                throw ModelErrors.badField(source, field, params, "an object with rope_type and rope_theta");
            }
            if (params.has("full_attention") || params.has("sliding_attention")) {
                throw ModelErrors.unsupportedFeature(
                        source, field, "per-layer-type rope parameters", List.of("one rope_parameters object"));
            }
            theta = params.has("rope_theta")
                    ? num(params, "rope_theta", source, field)
                    : optDouble(root, "rope_theta", source, 10000.0);
        } else {
            theta = optDouble(root, "rope_theta", source, 10000.0);
            field = "rope_scaling";
            params = ropeObject(root.get(field), source, field);
        }
        String typeName = ropeTypeName(params);
        if (phi3 && (typeName.equals("su") || typeName.equals("yarn"))) {
            typeName = "longrope"; // Phi3Config's names for longrope in older config.json files
        }
        // Phi3Config validates default and longrope only; the other families' classes take default, linear, llama3
        List<RopeConfig.Type> allowed = phi3
                ? List.of(RopeConfig.Type.DEFAULT, RopeConfig.Type.LONGROPE)
                : List.of(RopeConfig.Type.DEFAULT, RopeConfig.Type.LINEAR, RopeConfig.Type.LLAMA3);
        RopeConfig.Type type = null;
        for (RopeConfig.Type t : allowed) {
            if (t.hfName().equals(typeName)) {
                type = t;
            }
        }
        if (type == null) {
            throw ModelErrors.unsupportedFeature(
                    source,
                    field + ".rope_type",
                    typeName,
                    allowed.stream().map(RopeConfig.Type::hfName).toList());
        }
        // transformers moves a top-level partial_rotary_factor into the rope parameters unless they set their own
        double partial = params.has("partial_rotary_factor")
                ? num(params, "partial_rotary_factor", source, field)
                : optDouble(root, "partial_rotary_factor", source, 1.0);
        if (!phi3 && partial != 1.0) {
            throw ModelErrors.unsupportedFeature(
                    source, field + ".partial_rotary_factor", String.valueOf(partial), List.of("1.0"));
        }
        RopeConfig.Type ropeType = type;
        JsonNode p = params;
        String f = field;
        double th = theta;
        return checkedRope(source, field, headDim, () -> switch (ropeType) {
            case DEFAULT -> new RopeConfig(ropeType, th, 1.0, 0, 0, 0, partial, null, null, 1.0);
            case LINEAR -> new RopeConfig(ropeType, th, reqNum(p, "factor", source, f), 0, 0, 0);
            case LLAMA3 ->
                new RopeConfig(
                        ropeType,
                        th,
                        reqNum(p, "factor", source, f),
                        reqNum(p, "low_freq_factor", source, f),
                        reqNum(p, "high_freq_factor", source, f),
                        (int) reqNum(p, "original_max_position_embeddings", source, f));
            case LONGROPE -> longrope(root, p, source, f, th, partial, maxPos);
        });
    }

    /**
     * Phi-3's longrope as transformers 5 reads it: original_max_position_embeddings from the top level (Phi3Config
     * holds one, default 4096, and it takes precedence over the rope parameters' own); factor, when absent,
     * max_position_embeddings / original; attention_factor, when absent, sqrt(1 + ln factor / ln original) for
     * factor &gt; 1, else 1.
     */
    private static RopeConfig longrope(
            JsonNode root, JsonNode p, String source, String f, double theta, double partial, int maxPos) {
        int original = optInt(root, "original_max_position_embeddings", source, 4096);
        double factor = has(p, "factor") ? num(p, "factor", source, f) : (double) maxPos / original;
        double attention = has(p, "attention_factor")
                ? num(p, "attention_factor", source, f)
                : factor <= 1.0 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
        return new RopeConfig(
                RopeConfig.Type.LONGROPE,
                theta,
                factor,
                0,
                0,
                original,
                partial,
                numbers(p, "short_factor", source, f),
                numbers(p, "long_factor", source, f),
                attention);
    }

    private static List<Double> numbers(JsonNode obj, String name, String source, String parent) {
        JsonNode n = obj.get(name);
        if (n == null || n.isNull()) {
            throw ModelErrors.missingField(source, parent + "." + name, "a list of numbers");
        }
        List<Double> out = new ArrayList<>();
        for (JsonNode v : n) {
            if (!v.isNumber()) {
                throw ModelErrors.badField(source, parent + "." + name, n, "a list of numbers");
            }
            out.add(v.asDouble());
        }
        if (!n.isArray() || out.isEmpty()) {
            throw ModelErrors.badField(source, parent + "." + name, n, "a non-empty list of numbers");
        }
        return out;
    }

    /** {@code make}'s rope, checked against {@code headDim} (rotated dims, longrope factors per pair). */
    private static RopeConfig checkedRope(String source, String field, int headDim, Supplier<RopeConfig> make) {
        try {
            RopeConfig rope = make.get();
            rope.rotaryDim(headDim);
            return rope;
        } catch (IllegalArgumentException e) {
            throw ModelErrors.clash(source, field, e.getMessage());
        }
    }

    private static double reqNum(JsonNode obj, String name, String source, String parent) {
        if (!has(obj, name)) {
            throw ModelErrors.missingField(source, parent + "." + name, "a number");
        }
        return num(obj, name, source, parent);
    }

    private static double num(JsonNode obj, String name, String source, String parent) {
        JsonNode n = obj.get(name);
        if (!n.isNumber()) {
            throw ModelErrors.badField(source, parent + "." + name, n, "a number");
        }
        return n.asDouble();
    }

    private static boolean has(JsonNode root, String name) {
        return root.has(name) && !root.get(name).isNull();
    }

    private static int reqInt(JsonNode root, String name, String source) {
        if (!has(root, name)) {
            throw ModelErrors.missingField(source, name, "a positive integer");
        }
        return posInt(root, name, source);
    }

    private static int optInt(JsonNode root, String name, String source, int dflt) {
        return has(root, name) ? posInt(root, name, source) : dflt;
    }

    private static int posInt(JsonNode root, String name, String source) {
        JsonNode n = root.get(name);
        if (!n.isIntegralNumber()
                || !n.canConvertToInt()
                || n.asInt() < 0
                || (n.asInt() == 0 && !name.endsWith("token_id"))) {
            throw ModelErrors.badField(
                    source, name, n, name.endsWith("token_id") ? "an integer >= 0" : "a positive integer");
        }
        return n.asInt();
    }

    private static double optDouble(JsonNode root, String name, String source, double dflt) {
        return optField(root, name, source, dflt, JsonNode::isNumber, "a number", JsonNode::asDouble);
    }

    private static boolean optBool(JsonNode root, String name, String source, boolean dflt) {
        return optField(root, name, source, dflt, JsonNode::isBoolean, "true or false", JsonNode::asBoolean);
    }

    private static String optText(JsonNode root, String name, String source, String dflt) {
        return optField(root, name, source, dflt, JsonNode::isTextual, "a string", JsonNode::asText);
    }

    /** {@code dflt} when the field is absent or null; its value when {@code isKind} accepts it; else a bad field. */
    private static <T> T optField(
            JsonNode root,
            String name,
            String source,
            T dflt,
            Predicate<JsonNode> isKind,
            String kind,
            Function<JsonNode, T> value) {
        if (!has(root, name)) {
            return dflt;
        }
        JsonNode n = root.get(name);
        if (!isKind.test(n)) {
            throw ModelErrors.badField(source, name, n, kind);
        }
        return value.apply(n);
    }
}
