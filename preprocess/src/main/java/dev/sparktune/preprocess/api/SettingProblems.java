package dev.sparktune.preprocess.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The problems a config builder finds ({@link PrepConfig.Builder}, and the trainer's TrainConfig.Builder), each under
 * the key it is about, the first per key (a NaN learning rate breaks two rules about it, the user is told one). The
 * checks of a single value word what the key allows here, once, so every builder's range messages read alike and a
 * config reader can repeat the allowed values beside the value as the user wrote it.
 */
public final class SettingProblems {
    /**
     * @param key     the setting, as the builder names it (prep: section.name; train: LLaMA-Factory's name)
     * @param message what is wrong and what to do, without the key
     * @param allowed for a value outside its own range, what the key allows; null for a missing value or a problem
     *                between keys
     */
    public record Problem(String key, String message, String allowed) {
        @Override
        public String toString() {
            return key + ": " + message;
        }
    }

    private final Map<String, Problem> found = new LinkedHashMap<>();

    public void require(boolean ok, String key, String message) {
        if (!ok) {
            found.putIfAbsent(key, new Problem(key, message, null));
        }
    }

    /** A value outside its key's range (NaN, the placeholder for a value that was not a number, is outside all). */
    public void allowed(boolean ok, String key, Object value, String allowed) {
        if (!ok) {
            found.putIfAbsent(key, new Problem(key, "invalid value " + value + "; allowed: " + allowed, allowed));
        }
    }

    public void positive(String key, double value) {
        allowed(value > 0 && Double.isFinite(value), key, value, "a number > 0");
    }

    public void nonNegative(String key, double value) {
        allowed(value >= 0 && Double.isFinite(value), key, value, "a number >= 0");
    }

    public void fraction(String key, double value) {
        allowed(value >= 0 && value < 1, key, value, "a number in [0, 1)");
    }

    public void atLeast(String key, long value, long min) {
        allowed(value >= min, key, value, "a whole number >= " + min);
    }

    public void within(String key, long value, long min, long max) {
        allowed(value >= min && value <= max, key, value, "a whole number in [" + min + ", " + max + "]");
    }

    /** Throws the builder's exception with every problem found, if there is one. */
    public void throwIfAny(Function<List<Problem>, ? extends RuntimeException> exception) {
        if (!found.isEmpty()) {
            throw exception.apply(List.copyOf(found.values()));
        }
    }
}
