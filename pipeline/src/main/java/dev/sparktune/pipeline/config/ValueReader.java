package dev.sparktune.pipeline.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.sparktune.preprocess.api.SettingProblems;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads typed values from the resolved tree, collecting one problem per bad value (naming the key, the value, what is
 * allowed and where the value was set) instead of stopping at the first. A bad value reads as a placeholder so that
 * reading goes on; the caller throws before using anything it read when problems were found.
 */
final class ValueReader {
    private final Config config;
    private final List<ConfigProblem> problems;

    /**
     * @param config   resolved, holding the {@code sparktune} tree
     * @param problems where problems are added
     */
    ValueReader(Config config, List<ConfigProblem> problems) {
        this.config = config;
        this.problems = problems;
    }

    static String fullPath(String key) {
        return KeyCatalog.ROOT + "." + key;
    }

    /** The raw value, or null (and a problem) when the key was set to null. */
    private ConfigValue value(String key, String allowed) {
        String path = fullPath(key);
        if (!config.hasPathOrNull(path)) {
            throw new IllegalStateException("reference.conf lacks " + path);
        }
        if (config.getIsNull(path)) {
            problems.add(new ConfigProblem(path, "must not be null; allowed: " + allowed));
            return null;
        }
        return config.getValue(path);
    }

    void fail(String key, ConfigValue value, String allowed) {
        problems.add(new ConfigProblem(
                fullPath(key), "invalid value " + render(value) + "; allowed: " + allowed + KeyCatalog.origin(value)));
    }

    /**
     * Adds a config builder's problem under {@code key}, unless a problem with that key was found already (by the
     * typed readers, which word it better): a value outside its own range as the value the user wrote and what the
     * key allows, any other with {@code message}.
     */
    void fail(String key, SettingProblems.Problem problem, String message) {
        if (reported(key)) {
            return;
        }
        if (problem.allowed() != null) {
            fail(key, raw(key), problem.allowed());
        } else {
            fail(key, message);
        }
    }

    /** Adds a problem about a key whose value is fine alone but clashes with another or is missing. */
    void fail(String key, String message) {
        ConfigValue value = config.hasPath(fullPath(key)) ? config.getValue(fullPath(key)) : null;
        problems.add(new ConfigProblem(fullPath(key), message + (value == null ? "" : KeyCatalog.origin(value))));
    }

    /**
     * Reports {@code key} as missing when {@code value}, its text, is "" (unset). A null value was a bad one, reported
     * when it was read.
     *
     * @param why what needs the key and what it names, e.g. "required by eval: the model directory to evaluate"
     */
    void requireSet(String key, String value, String why) {
        if ("".equals(value)) {
            fail(key, why);
        }
    }

    static String render(ConfigValue value) {
        return value.render(ConfigRenderOptions.concise());
    }

    /**
     * The value of {@code key} as {@code parse} reads it; {@code placeholder}, with a problem, when it is null or
     * {@code parse} returns null for it.
     */
    private <T> T parsed(String key, String allowed, Function<ConfigValue, T> parse, T placeholder) {
        ConfigValue value = value(key, allowed);
        if (value == null) {
            return placeholder;
        }
        T parsed = parse.apply(value);
        if (parsed == null) {
            fail(key, value, allowed);
            return placeholder;
        }
        return parsed;
    }

    /** A scalar as text; null (with a problem) when it is null, a list or an object. */
    String text(String key, String allowed) {
        return parsed(key, allowed, ValueReader::asText, null);
    }

    private static String asText(ConfigValue value) {
        return value.valueType() == ConfigValueType.OBJECT || value.valueType() == ConfigValueType.LIST
                ? null
                : String.valueOf(value.unwrapped()).strip();
    }

    /** A scalar as non-blank text; "" (with a problem) otherwise. */
    String nonBlankText(String key, String allowed) {
        String text = text(key, allowed);
        if (text == null) {
            return "";
        }
        if (text.isEmpty()) {
            fail(key, config.getValue(fullPath(key)), allowed);
        }
        return text;
    }

    /** One of {@code allowed} (case-insensitive), returned lower-case. */
    String choice(String key, List<String> allowed) {
        return choice(key, allowed, "");
    }

    /** {@link #choice(String, List)}, with {@code note} said after the allowed values when the value is not one. */
    String choice(String key, List<String> allowed, String note) {
        String described = String.join(", ", allowed) + note;
        ConfigValue value = value(key, described);
        if (value == null) {
            return allowed.get(0);
        }
        String text = value.valueType() == ConfigValueType.STRING || value.valueType() == ConfigValueType.BOOLEAN
                ? String.valueOf(value.unwrapped()).strip().toLowerCase(Locale.ROOT)
                : null;
        if (text == null || !allowed.contains(text)) {
            String suggestion = text == null
                    ? ""
                    : ClosestKey.among(text, allowed)
                            .map(a -> "; did you mean " + a + "?")
                            .orElse("");
            fail(key, value, described + suggestion);
            return allowed.get(0);
        }
        return text;
    }

    boolean bool(String key) {
        return parsed(key, "true or false", ValueReader::asBoolean, false);
    }

    /** HOCON's boolean spellings: true/false, yes/no, on/off. */
    static Boolean asBoolean(ConfigValue value) {
        if (value.valueType() == ConfigValueType.BOOLEAN) {
            return (Boolean) value.unwrapped();
        }
        if (value.valueType() == ConfigValueType.STRING) {
            switch (((String) value.unwrapped()).strip().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on":
                    return true;
                case "false", "no", "off":
                    return false;
                default:
                    return null;
            }
        }
        return null;
    }

    /** A whole number in [min, max]. */
    long wholeNumber(String key, long min, long max) {
        // the bounds of a long or an int are the type's, not a range of the value: not worth naming unless broken
        boolean typeBounds = min == Long.MIN_VALUE || (min == Integer.MIN_VALUE && max == Integer.MAX_VALUE);
        String range = "a whole number in [" + min + ", " + max + "]";
        String allowed = typeBounds
                ? "a whole number"
                : max == Long.MAX_VALUE
                        ? "a whole number >= " + min
                        : max == Integer.MAX_VALUE ? "a whole number >= " + min + " (at most " + max + ")" : range;
        ConfigValue value = value(key, allowed);
        if (value == null) {
            return min;
        }
        BigDecimal number = asNumber(value);
        boolean whole = number != null && number.stripTrailingZeros().scale() <= 0;
        if (whole && number.compareTo(BigDecimal.valueOf(min)) >= 0 && number.compareTo(BigDecimal.valueOf(max)) <= 0) {
            return number.longValueExact();
        }
        fail(key, value, whole && typeBounds ? range : allowed);
        return Math.max(min, 0);
    }

    /**
     * A whole number that fits an int; its range is the rule of whatever the value configures (TrainConfig's, for
     * train values). A placeholder when reported.
     */
    int integer(String key) {
        return (int) wholeNumber(key, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    /** Any number (HOCON number, or a string holding one); null with a problem otherwise. */
    Double number(String key, String allowed) {
        BigDecimal number = parsed(key, allowed, ValueReader::asNumber, null);
        return number == null ? null : number.doubleValue();
    }

    /** The value as set, or null when it is set to null (reported by the typed readers, not here). */
    ConfigValue raw(String key) {
        return config.getIsNull(fullPath(key)) ? null : config.getValue(fullPath(key));
    }

    private static BigDecimal asNumber(ConfigValue value) {
        Object unwrapped = value.unwrapped();
        String text = value.valueType() == ConfigValueType.NUMBER || value.valueType() == ConfigValueType.STRING
                ? String.valueOf(unwrapped).strip()
                : null;
        if (text == null) {
            return null;
        }
        try {
            return new BigDecimal(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A list of non-blank names, or one string of comma-separated names (LLaMA-Factory's form); null if bad. */
    List<String> names(String key, String allowed) {
        ConfigValue value = value(key, allowed);
        if (value == null) {
            return null;
        }
        List<Object> items = new ArrayList<>();
        if (value.valueType() == ConfigValueType.LIST) {
            items.addAll((List<?>) value.unwrapped());
        } else if (value.valueType() == ConfigValueType.STRING) {
            String text = ((String) value.unwrapped()).strip();
            if (!text.isEmpty()) {
                items.addAll(List.of(text.split(",", -1)));
            }
        } else {
            fail(key, value, allowed);
            return null;
        }
        List<String> names = new ArrayList<>();
        for (Object item : items) {
            if (!(item instanceof String) && !(item instanceof Number)) {
                fail(key, value, allowed);
                return null;
            }
            String name = String.valueOf(item).strip();
            if (name.isEmpty()) {
                fail(key, value, allowed + " (an entry is empty)");
                return null;
            }
            names.add(name);
        }
        return names;
    }

    boolean hasProblems() {
        return !problems.isEmpty();
    }

    /** Whether a problem was found with this key already. */
    boolean reported(String key) {
        String path = fullPath(key);
        return problems.stream().anyMatch(p -> p.keyPath().equals(path));
    }

    /** An open section of scalar settings, flattened to dotted keys ({@code spark.hadoop.fs.s3a.endpoint}). */
    Map<String, String> flatSettings(String key) {
        Map<String, String> settings = new LinkedHashMap<>();
        ConfigValue section = value(key, "an object of settings");
        if (!(section instanceof ConfigObject object)) {
            if (section != null) {
                fail(key, section, "an object of settings { \"spark.some.key\" = value }");
            }
            return settings;
        }
        for (Map.Entry<String, ConfigValue> entry : object.toConfig().entrySet()) {
            String name = String.join(".", ConfigUtil.splitPath(entry.getKey()));
            ConfigValue value = entry.getValue();
            switch (value.valueType()) {
                case STRING, NUMBER, BOOLEAN -> settings.put(name, String.valueOf(value.unwrapped()));
                default ->
                    problems.add(new ConfigProblem(
                            fullPath(key) + "." + name,
                            "invalid value " + render(value) + "; allowed: a string, number or boolean"
                                    + KeyCatalog.origin(value)));
            }
        }
        return settings;
    }
}
