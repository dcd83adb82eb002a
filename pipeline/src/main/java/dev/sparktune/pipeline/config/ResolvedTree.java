package dev.sparktune.pipeline.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The resolved {@code sparktune} tree written back as HOCON: sorted keys, one per line, so that the dry run shows it
 * and the run verb fingerprints a section by its text.
 */
final class ResolvedTree {
    private static final Pattern SECRET_KEY =
            Pattern.compile("(?i).*(secret|password|token|credential|access\\.key).*");
    private static final Pattern BARE_KEY = Pattern.compile("[A-Za-z0-9_-]+");

    private ResolvedTree() {}

    /**
     * The resolved {@code sparktune} tree as HOCON, defaults included, for {@code --dry-run}. Values of Spark settings
     * whose name suggests a secret (secret, password, token, credential, access.key) are shown as {@code <redacted>}.
     */
    static String render(Config resolved) {
        Config shown = resolved;
        String confPath = KeyCatalog.ROOT + ".spark.conf";
        if (resolved.hasPath(confPath)) {
            for (Map.Entry<String, ConfigValue> entry :
                    resolved.getConfig(confPath).entrySet()) {
                String name = String.join(".", ConfigUtil.splitPath(entry.getKey()));
                if (SECRET_KEY.matcher(name).matches()) {
                    shown = shown.withValue(
                            confPath + "." + entry.getKey(), ConfigValueFactory.fromAnyRef("<redacted>"));
                }
            }
        }
        StringBuilder out = new StringBuilder();
        renderObject(shown.root(), "", "", out);
        return out.toString();
    }

    /**
     * The resolved section or key {@code name} (e.g. {@code train}, {@code train.ref_model}) as sorted HOCON (a key:
     * its value): what the run verb fingerprints. "" when it is not set.
     */
    static String section(Config resolved, String name) {
        StringBuilder out = new StringBuilder();
        String path = KeyCatalog.ROOT + "." + name;
        if (resolved.hasPath(path)) {
            ConfigValue value = resolved.getValue(path);
            if (value instanceof ConfigObject object) {
                renderObject(object, "", "", out);
            } else {
                out.append(value.render(ConfigRenderOptions.concise())).append('\n');
            }
        }
        return out.toString();
    }

    /** HOCON, one key per line, keys sorted, values in JSON form; Spark settings as flat quoted keys. */
    private static void renderObject(ConfigObject object, String path, String indent, StringBuilder out) {
        for (String key : new TreeSet<>(object.keySet())) {
            ConfigValue value = object.get(key);
            String childPath = path.isEmpty() ? key : path + "." + key;
            String shownKey = BARE_KEY.matcher(key).matches() ? key : ConfigUtil.quoteString(key);
            if (value instanceof ConfigObject child && childPath.equals(KeyCatalog.ROOT + ".spark.conf")) {
                out.append(indent).append(shownKey).append(" {\n");
                Map<String, String> flat = new TreeMap<>();
                child.toConfig()
                        .entrySet()
                        .forEach(e -> flat.put(
                                String.join(".", ConfigUtil.splitPath(e.getKey())),
                                e.getValue().render(ConfigRenderOptions.concise())));
                flat.forEach((name, rendered) -> out.append(indent)
                        .append("  ")
                        .append(ConfigUtil.quoteString(name))
                        .append(" = ")
                        .append(rendered)
                        .append('\n'));
                out.append(indent).append("}\n");
            } else if (value instanceof ConfigObject child) {
                out.append(indent).append(shownKey).append(" {\n");
                renderObject(child, childPath, indent + "  ", out);
                out.append(indent).append("}\n");
            } else {
                out.append(indent)
                        .append(shownKey)
                        .append(" = ")
                        .append(value.render(ConfigRenderOptions.concise()))
                        .append('\n');
            }
        }
    }
}
