package dev.sparktune.pipeline.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code --set key=value} overrides. The key is a HOCON path relative to {@code sparktune}. The value is parsed as
 * HOCON when it is a number, a boolean, null, a list {@code [...]}, an object <code>{...}</code> or a quoted string;
 * anything else is taken verbatim as a string, so that paths ({@code s3a://bucket/x}, where HOCON would read
 * {@code //} as a comment) and comma-separated names need no quoting. A value that is one substitution,
 * <code>${train.output_dir}</code> (relative to {@code sparktune}, or absolute), takes that key's resolved value.
 */
final class Overrides {
    static final String ORIGIN = "--set";
    private static final Pattern LITERAL =
            Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?|true|false|null");
    /** A whole value that is one HOCON substitution, e.g. {@code ${train.output_dir}} (relative to sparktune). */
    private static final Pattern SUBSTITUTION = Pattern.compile("\\$\\{\\s*([A-Za-z0-9_.-]+)\\s*}");

    private Overrides() {}

    /** The overrides as one tree rooted at {@code sparktune}, a later override winning; bad ones become problems. */
    static Config parse(List<String> overrides, List<ConfigProblem> problems) {
        Config merged = ConfigFactory.empty();
        for (String override : overrides) {
            int eq = override.indexOf('=');
            String key = eq < 0 ? "" : override.substring(0, eq).strip();
            if (key.isEmpty()) {
                problems.add(new ConfigProblem(
                        ORIGIN,
                        "expected key=value (key relative to 'sparktune', e.g. " + "data.cutoff_len=1024), got '"
                                + override + "'"));
                continue;
            }
            if (key.startsWith(KeyCatalog.ROOT + ".")) {
                key = key.substring(KeyCatalog.ROOT.length() + 1);
            }
            String path = KeyCatalog.ROOT + "." + key;
            try {
                ConfigUtil.splitPath(path);
            } catch (com.typesafe.config.ConfigException e) {
                problems.add(new ConfigProblem(ORIGIN, "'" + key + "' is not a valid key path: " + e.getMessage()));
                continue;
            }
            String origin = ORIGIN + " " + key;
            try {
                ConfigValue value = value(override.substring(eq + 1).strip(), origin);
                merged = ConfigFactory.empty(origin).withValue(path, value).withFallback(merged);
            } catch (com.typesafe.config.ConfigException e) {
                problems.add(new ConfigProblem(path, "cannot parse the value of " + origin + ": " + e.getMessage()));
            }
        }
        return merged;
    }

    private static ConfigValue value(String text, String origin) {
        Matcher substitution = SUBSTITUTION.matcher(text);
        if (substitution.matches()) {
            String ref = substitution.group(1);
            String absolute = ref.startsWith(KeyCatalog.ROOT + ".") ? ref : KeyCatalog.ROOT + "." + ref;
            return ConfigFactory.parseString(
                            "value = ${" + absolute + "}",
                            ConfigParseOptions.defaults().setOriginDescription(origin))
                    .root()
                    .get("value");
        }
        boolean hocon = LITERAL.matcher(text).matches()
                || text.startsWith("[")
                || text.startsWith("{")
                || text.startsWith("\"");
        if (!hocon) {
            return ConfigValueFactory.fromAnyRef(text, origin);
        }
        return ConfigFactory.parseString(
                        "value = " + text, ConfigParseOptions.defaults().setOriginDescription(origin))
                .root()
                .get("value");
    }
}
