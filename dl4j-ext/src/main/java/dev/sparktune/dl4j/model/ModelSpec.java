package dev.sparktune.dl4j.model;

/**
 * One supported HF architecture: its {@code architectures[0]} name, {@code model_type}, family and the defaults
 * transformers' config class applies to fields a config.json may leave out.
 *
 * @param architecture            e.g. {@code Qwen3ForCausalLM}
 * @param modelType               e.g. {@code qwen3}
 * @param family                  which feature set
 * @param defaultMaxPositions     the config class's {@code max_position_embeddings} default
 * @param defaultSlidingWindow    the config class's {@code sliding_window} default (0 = none); Mistral only
 * @param textModelType           for a multimodal checkpoint of which we train the text model only (e.g.
 *                                {@code Gemma3ForConditionalGeneration}): its {@code text_config}'s model_type, whose
 *                                defaults apply there; null when the checkpoint is the causal LM itself
 */
public record ModelSpec(
        String architecture,
        String modelType,
        ModelFamily family,
        int defaultMaxPositions,
        int defaultSlidingWindow,
        String textModelType) {
    /** A causal LM's spec. */
    public ModelSpec(
            String architecture,
            String modelType,
            ModelFamily family,
            int defaultMaxPositions,
            int defaultSlidingWindow) {
        this(architecture, modelType, family, defaultMaxPositions, defaultSlidingWindow, null);
    }

    public ModelSpec {
        if (architecture == null || architecture.isBlank() || modelType == null || modelType.isBlank()) {
            throw new IllegalArgumentException("architecture and modelType must be non-blank");
        }
        if (family == null) {
            throw new IllegalArgumentException("family is null");
        }
    }

    /**
     * True when the checkpoint holds more than the text model (a vision tower, a projector): we read and train its
     * text model only, and copy the rest through on save.
     */
    public boolean wrapsText() {
        return textModelType != null;
    }
}
