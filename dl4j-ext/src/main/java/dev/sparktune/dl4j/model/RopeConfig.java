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
 * @param originalMaxPositionEmbeddings llama3 and longrope: the pre-training context length
 * @param partialRotaryFactor           the fraction of each head's dims that is rotated (Phi-4-mini: 0.75); the rest
 *                                      pass through unchanged
 * @param shortFactor                   longrope only: per-frequency divisors while a forward's positions stay within
 *                                      the pre-training length
 * @param longFactor                    longrope only: the divisors once they go beyond it
 * @param attentionFactor               longrope only: cos and sin are multiplied by it; 1 otherwise
 */
public record RopeConfig(
        Type type,
        double theta,
        double factor,
        double lowFreqFactor,
        double highFreqFactor,
        int originalMaxPositionEmbeddings,
        double partialRotaryFactor,
        List<Double> shortFactor,
        List<Double> longFactor,
        double attentionFactor) {

    /** Supported {@code rope_type} values. */
    public enum Type {
        DEFAULT("default"),
        LINEAR("linear"),
        LLAMA3("llama3"),
        LONGROPE("longrope");

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

    /** Every head dim rotated, no longrope factors. */
    public RopeConfig(
            Type type,
            double theta,
            double factor,
            double lowFreqFactor,
            double highFreqFactor,
            int originalMaxPositionEmbeddings) {
        this(type, theta, factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings, 1.0, null, null, 1.0);
    }

    public RopeConfig {
        if (type == null) {
            throw new IllegalArgumentException("rope type is null");
        }
        if (!(partialRotaryFactor > 0 && partialRotaryFactor <= 1)) {
            throw new IllegalArgumentException("partial_rotary_factor must be in (0, 1], got " + partialRotaryFactor);
        }
        shortFactor = shortFactor == null ? List.of() : List.copyOf(shortFactor);
        longFactor = longFactor == null ? List.of() : List.copyOf(longFactor);
        if (type == Type.LONGROPE) {
            if (shortFactor.isEmpty() || shortFactor.size() != longFactor.size()) {
                throw new IllegalArgumentException("longrope needs short_factor and long_factor of the same non-zero "
                        + "length, got " + shortFactor.size() + " and " + longFactor.size());
            }
            if (originalMaxPositionEmbeddings <= 0) {
                throw new IllegalArgumentException(
                        "longrope needs original_max_position_embeddings > 0, got " + originalMaxPositionEmbeddings);
            }
            if (!(attentionFactor > 0) || Double.isInfinite(attentionFactor)) {
                throw new IllegalArgumentException("longrope attention_factor must be > 0, got " + attentionFactor);
            }
        } else if (!shortFactor.isEmpty() || !longFactor.isEmpty() || attentionFactor != 1.0) {
            throw new IllegalArgumentException(
                    "short_factor, long_factor and attention_factor belong to longrope only, not to rope_type "
                            + type.hfName());
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
     * The leading dims of each head that RoPE rotates: {@code int(headDim · partial_rotary_factor)} as transformers
     * truncates it; must be even.
     */
    public int rotaryDim(int headDim) {
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be a positive even number, got " + headDim);
        }
        int dim = (int) (headDim * partialRotaryFactor);
        if (dim <= 0 || dim % 2 != 0) {
            throw new IllegalArgumentException("head_dim " + headDim + " × partial_rotary_factor " + partialRotaryFactor
                    + " = " + dim + " rotated dims; RoPE needs a positive even number");
        }
        if (type == Type.LONGROPE && shortFactor.size() != dim / 2) {
            throw new IllegalArgumentException("longrope short_factor and long_factor need one entry per rotated pair ("
                    + dim / 2 + " for head_dim " + headDim + " × partial_rotary_factor " + partialRotaryFactor
                    + "), got " + shortFactor.size());
        }
        return dim;
    }

    /** Whether a forward whose positions reach {@code seqLen − 1} uses longrope's long factors (as transformers). */
    public boolean usesLongFactors(int seqLen) {
        return type == Type.LONGROPE && seqLen > originalMaxPositionEmbeddings;
    }

    /**
     * The inverse frequencies for a sequence whose largest position is {@code seqLen − 1}: longrope picks its short
     * or long factors by it, as transformers' {@code dynamic_rope_update} does for a forward of that sequence; the
     * other types ignore seqLen.
     */
    public float[] inverseFrequencies(int headDim, int seqLen) {
        return frequencies(headDim, usesLongFactors(seqLen) ? longFactor : shortFactor);
    }

    /**
     * The {@code rotaryDim / 2} inverse frequencies (longrope: with its short factors), computed in fp32 the way
     * transformers does ({@code 1 / theta^(2i / rotaryDim)}, then the rope type's rescaling), so cos/sin match its
     * fp32 tables.
     */
    public float[] inverseFrequencies(int headDim) {
        return frequencies(headDim, shortFactor);
    }

    /** {@code longrope}'s {@code 1 / (ext[i] · theta^(2i / dim))}, ext the chosen factors; others ignore ext. */
    private float[] frequencies(int headDim, List<Double> ext) {
        int dim = rotaryDim(headDim);
        float[] inv = new float[dim / 2];
        float base = (float) theta;
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / (float) dim;
            float power = (float) Math.pow(base, exponent);
            inv[i] = type == Type.LONGROPE ? 1.0f / (ext.get(i).floatValue() * power) : 1.0f / power;
        }
        switch (type) {
            case DEFAULT, LONGROPE -> {}
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
