package dev.sparktune.dl4j.generate;

import java.io.Serializable;
import java.util.Set;

/**
 * How {@link Generator} picks tokens, with transformers' {@code generate} semantics: {@code temperature = 0} is
 * greedy (argmax); otherwise the logits are divided by the temperature, then cut to the {@code topK} most likely
 * tokens (0 = no cut), then to the smallest set whose probability reaches {@code topP} (1 = no cut), and sampled.
 *
 * @param maxNewTokens the most tokens generated after the prompt
 * @param stopTokenIds generation ends after producing any of these (kept in the output, as transformers does)
 * @param seed         seeds the sampler (unused when greedy)
 */
public record GenerationConfig(
        int maxNewTokens, Set<Integer> stopTokenIds, double temperature, int topK, double topP, long seed)
        implements Serializable {
    public GenerationConfig {
        if (maxNewTokens <= 0) {
            throw new IllegalArgumentException("max_new_tokens must be > 0, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0 (0 = greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 = no limit), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        stopTokenIds = Set.copyOf(stopTokenIds == null ? Set.of() : stopTokenIds);
    }

    public static GenerationConfig greedy(int maxNewTokens, Set<Integer> stopTokenIds) {
        return new GenerationConfig(maxNewTokens, stopTokenIds, 0.0, 0, 1.0, 0L);
    }

    public boolean isGreedy() {
        return temperature == 0.0;
    }
}
