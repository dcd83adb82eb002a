package dev.sparktune.trainer.api;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * An enum whose constants are the values of a config key, each written as its name in lower case (LLaMA-Factory's and
 * transformers' spelling: {@code full_shard}, {@code adapters_off}): one rule for every such key, so the values a
 * reader allows, the ones it names in an error and the ones the enum holds cannot drift apart.
 */
public interface SettingValue {
    /** The constant's name ({@link Enum#name()}). */
    String name();

    /** The value as a config writes it. */
    default String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Every value of {@code type} as a config writes it, in declaration order. */
    static <E extends Enum<E> & SettingValue> List<String> keys(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(SettingValue::key).toList();
    }

    /**
     * The constant of {@code type} that {@code setting} = {@code value} names.
     *
     * @throws IllegalArgumentException naming the setting, the value and every allowed value, when none is
     */
    static <E extends Enum<E> & SettingValue> E parse(Class<E> type, String setting, String value) {
        return Arrays.stream(type.getEnumConstants())
                .filter(e -> e.key().equals(value))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        setting + " = \"" + value + "\" is not supported; allowed: " + String.join(", ", keys(type))));
    }
}
