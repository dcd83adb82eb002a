package dev.sparktune.dl4j.model;

import java.util.Arrays;
import java.util.List;

/**
 * Rotary position embedding parameters, from {@code rope_parameters} (transformers 5) or {@code rope_theta} +
 * {@code rope_scaling} (older config.json files).
 *
 * @param type                          which inverse-frequency formula
 * @param theta                         base wavelength ({@code rope_theta})
 * @param factor                        scaling factor (linear, llama3); 1 for default
 * @param lowFreqFactor                 llama3 only
 * @param highFreqFactor                llama3 only
 * @param originalMaxPositionEmbeddings llama3 only: the pre-training context length
 */
public record RopeConfig(
        Type type,
        double theta,
        double factor,
        double lowFreqFactor,
        double highFreqFactor,
        int originalMaxPositionEmbeddings) {

    /** Supported {@code rope_type} values. */
    public enum Type {
        DEFAULT("default"),
        LINEAR("linear"),
        LLAMA3("llama3");

        private final String hfName;

        Type(String hfName) {
            this.hfName = hfName;
        }

        public String hfName() {
            return hfName;
        }

        public static List<String> hfNames() {
            return Arrays.stream(values()).map(Type::hfName).toList();
        }
    }

    public RopeConfig {
        if (type == null) {
            throw new IllegalArgumentException("rope type is null");
        }
        if (!(theta > 0) || Double.isInfinite(theta)) {
            throw new IllegalArgumentException("rope_theta must be a positive finite number, got " + theta);
        }
        if (type != Type.DEFAULT && !(factor > 0)) {
            throw new IllegalArgumentException(
                    "rope factor must be > 0 for rope_type " + type.hfName() + ", got " + factor);
        }
        if (type == Type.LLAMA3) {
            if (!(highFreqFactor > lowFreqFactor) || !(lowFreqFactor > 0)) {
                throw new IllegalArgumentException("llama3 rope needs 0 < low_freq_factor < high_freq_factor, got "
                        + lowFreqFactor + " and " + highFreqFactor);
            }
            if (originalMaxPositionEmbeddings <= 0) {
                throw new IllegalArgumentException(
                        "llama3 rope needs original_max_position_embeddings > 0, got " + originalMaxPositionEmbeddings);
            }
        }
    }

    public static RopeConfig defaultRope(double theta) {
        return new RopeConfig(Type.DEFAULT, theta, 1.0, 0, 0, 0);
    }

    /**
     * The {@code headDim / 2} inverse frequencies, computed in fp32 the way transformers does
     * ({@code 1 / theta^(2i / headDim)}, then the rope type's rescaling), so cos/sin match its fp32 tables.
     */
    public float[] inverseFrequencies(int headDim) {
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be a positive even number, got " + headDim);
        }
        float[] inv = new float[headDim / 2];
        float base = (float) theta;
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            inv[i] = 1.0f / (float) Math.pow(base, exponent);
        }
        switch (type) {
            case DEFAULT -> {}
            case LINEAR -> {
                for (int i = 0; i < inv.length; i++) {
                    inv[i] = inv[i] / (float) factor;
                }
            }
            case LLAMA3 -> {
                // transformers' _compute_llama3_parameters: keep high frequencies, divide low ones by factor, and
                // interpolate in between with smooth = (oldCtx / wavelen - low) / (high - low)
                float oldCtx = originalMaxPositionEmbeddings;
                float lowFreqWavelen = (float) (oldCtx / lowFreqFactor);
                float highFreqWavelen = (float) (oldCtx / highFreqFactor);
                for (int i = 0; i < inv.length; i++) {
                    float wavelen = (float) (2 * Math.PI) / inv[i];
                    float scaled = wavelen > lowFreqWavelen ? inv[i] / (float) factor : inv[i];
                    boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
                    if (medium) {
                        float smooth = (float) ((oldCtx / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor));
                        scaled = (1 - smooth) * scaled / (float) factor + smooth * scaled;
                    }
                    inv[i] = scaled;
                }
            }
            default -> throw new IllegalStateException(type.toString());
        }
        return inv;
    }
}
