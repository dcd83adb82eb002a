package dev.sparktune.dl4j.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparktune.dl4j.optim.AdamWConfig;
import dev.sparktune.dl4j.optim.LrSchedule;
import dev.sparktune.dl4j.preference.PreferenceLoss;

/**
 * Reads the JSON specs that the golden scripts (scripts/goldens) store in a goldens file's metadata: arrays, and the
 * settings the reference run was made with, as our types.
 */
public final class GoldenSpecs {
    private GoldenSpecs() {}

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    public static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    /** torch.optim.AdamW's settings in {@code spec} (betas, eps, weight_decay), at learning rate {@code lr}. */
    public static AdamWConfig adamW(JsonNode spec, double lr) {
        return new AdamWConfig(
                lr,
                spec.get("betas").get(0).asDouble(),
                spec.get("betas").get(1).asDouble(),
                spec.get("eps").asDouble(),
                spec.get("weight_decay").asDouble());
    }

    /** transformers' cosine schedule with {@code spec}'s warmup, over {@code steps}. */
    public static LrSchedule cosineSchedule(JsonNode spec, int steps) {
        return new LrSchedule(LrSchedule.Type.COSINE, spec.get("warmup").asInt(), steps);
    }

    /** The preference loss of one case: pref_loss, beta, label_smoothing, simpo_gamma and ftx. */
    public static PreferenceLoss preferenceLoss(JsonNode c) {
        return new PreferenceLoss(
                PreferenceLoss.Type.parse(c.get("pref_loss").asText()),
                c.get("beta").asDouble(),
                c.get("label_smoothing").asDouble(),
                c.get("simpo_gamma").asDouble(),
                c.get("ftx").asDouble());
    }
}
