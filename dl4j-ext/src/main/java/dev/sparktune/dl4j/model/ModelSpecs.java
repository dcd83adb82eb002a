package dev.sparktune.dl4j.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Registry of supported architectures; unknown names are rejected with the list of known ones. */
public final class ModelSpecs {
    private static final Map<String, ModelSpec> BY_ARCHITECTURE = new LinkedHashMap<>();

    static {
        register(new ModelSpec("LlamaForCausalLM", "llama", ModelFamily.LLAMA, 2048, 0));
        register(new ModelSpec("Qwen2ForCausalLM", "qwen2", ModelFamily.QWEN2, 32768, 0));
        register(new ModelSpec("Qwen3ForCausalLM", "qwen3", ModelFamily.QWEN3, 32768, 0));
        register(new ModelSpec("MistralForCausalLM", "mistral", ModelFamily.MISTRAL, 131072, 4096));
        register(new ModelSpec("Phi3ForCausalLM", "phi3", ModelFamily.PHI3, 4096, 0));
        register(new ModelSpec("Gemma3ForCausalLM", "gemma3_text", ModelFamily.GEMMA3, 131072, 4096));
        register(new ModelSpec("Qwen3MoeForCausalLM", "qwen3_moe", ModelFamily.QWEN3_MOE, 32768, 0));
        // Gemma 3 4B and larger: the text model of Gemma3ForConditionalGeneration (text_config); images are refused
        register(new ModelSpec(
                "Gemma3ForConditionalGeneration", "gemma3", ModelFamily.GEMMA3, 131072, 4096, "gemma3_text"));
    }

    private ModelSpecs() {}

    private static void register(ModelSpec spec) {
        BY_ARCHITECTURE.put(spec.architecture(), spec);
    }

    /** Architecture names we support, in registration order. */
    public static List<String> knownArchitectures() {
        return List.copyOf(BY_ARCHITECTURE.keySet());
    }

    /**
     * The spec for {@code architecture}.
     *
     * @throws UnsupportedArchitectureException naming the known architectures when there is none
     */
    public static ModelSpec forArchitecture(String architecture) {
        return forArchitecture(architecture, "model config");
    }

    static ModelSpec forArchitecture(String architecture, String source) {
        ModelSpec spec = BY_ARCHITECTURE.get(architecture);
        if (spec == null) {
            throw ModelErrors.unknownArchitecture(source, architecture, knownArchitectures());
        }
        return spec;
    }
}
