package dev.sparktune.pipeline.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The keys reference.conf defines: leaf keys, the sections holding them, and the open sections whose contents are
 * free-form ({@code sparktune.spark.conf}). Checks a user's tree against them.
 */
final class KeyCatalog {
    static final String ROOT = "sparktune";
    /** Sections whose keys are passed through as-is rather than checked. */
    private static final Set<String> OPEN_SECTIONS = Set.of(ROOT + ".spark.conf");

    private final Set<String> leaves = new TreeSet<>();
    private final Set<String> sections = new TreeSet<>();

    KeyCatalog(ConfigObject referenceRoot) {
        ConfigValue tree = referenceRoot.get(ROOT);
        if (!(tree instanceof ConfigObject object)) {
            throw new IllegalStateException("reference.conf has no '" + ROOT + "' section");
        }
        sections.add(ROOT);
        collect(ROOT, object);
    }

    private void collect(String prefix, ConfigObject object) {
        for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
            String path = prefix + "." + entry.getKey();
            if (entry.getValue() instanceof ConfigObject child) {
                sections.add(path);
                if (!OPEN_SECTIONS.contains(path)) {
                    collect(path, child);
                }
            } else {
                leaves.add(path);
            }
        }
    }

    /** Every leaf key, full path. */
    Set<String> leaves() {
        return Collections.unmodifiableSet(leaves);
    }

    /**
     * Checks {@code userRoot} (a user's file and overrides, unresolved) against reference.conf.
     *
     * @param unknown   gets every key reference.conf does not define, naming the full path, the closest known key
     *                  and where the key was set
     * @param misshapen gets every section set to something other than an object; values cannot be read while the
     *                  tree has such a hole
     * @param warnings  gets top-level keys outside {@code sparktune} that look like HOCON helpers (values for
     *                  substitutions): allowed, but not read
     */
    void check(
            ConfigObject userRoot,
            List<ConfigProblem> unknown,
            List<ConfigProblem> misshapen,
            List<ConfigProblem> warnings) {
        for (Map.Entry<String, ConfigValue> entry : userRoot.entrySet()) {
            String key = entry.getKey();
            if (key.equals(ROOT)) {
                if (entry.getValue() instanceof ConfigObject tree) {
                    check(ROOT, tree, unknown, misshapen);
                } else {
                    misshapen.add(new ConfigProblem(
                            ROOT,
                            "must be an object of sections { " + String.join(", ", keysOf(ROOT)) + " }"
                                    + origin(entry.getValue())));
                }
            } else if (sections.contains(ROOT + "." + key) || leaves.stream().anyMatch(l -> l.endsWith("." + key))) {
                // a SparkTune section or key written without the sparktune { } wrapper
                String meant = sections.contains(ROOT + "." + key)
                        ? ROOT + "." + key
                        : leaves.stream()
                                .filter(l -> l.endsWith("." + key))
                                .findFirst()
                                .orElseThrow();
                unknown.add(new ConfigProblem(
                        key,
                        "unknown top-level key; settings live under 'sparktune { ... }': " + "did you mean " + meant
                                + "?" + origin(entry.getValue())));
            } else if (ClosestKey.editDistance(key, ROOT) <= 2) {
                unknown.add(new ConfigProblem(
                        key, "unknown top-level key; did you mean " + ROOT + "?" + origin(entry.getValue())));
            } else {
                warnings.add(new ConfigProblem(
                        key,
                        "top-level key outside 'sparktune' is not read (fine as a value " + "for substitutions)"
                                + origin(entry.getValue())));
            }
        }
    }

    private void check(
            String prefix, ConfigObject object, List<ConfigProblem> problems, List<ConfigProblem> misshapen) {
        Set<Map.Entry<String, ConfigValue>> entries;
        try {
            entries = object.entrySet();
        } catch (com.typesafe.config.ConfigException.NotResolved e) {
            return; // an object merged with a substitution; its keys are checked after resolution by the readers
        }
        for (Map.Entry<String, ConfigValue> entry : entries) {
            String path = prefix + "." + entry.getKey();
            ConfigValue value = entry.getValue();
            if (OPEN_SECTIONS.contains(path)) {
                continue;
            }
            if (sections.contains(path)) {
                if (value instanceof ConfigObject child) {
                    check(path, child, problems, misshapen);
                } else {
                    misshapen.add(
                            new ConfigProblem(path, "is a section and must be an object { ... }" + origin(value)));
                }
            } else if (!leaves.contains(path)) {
                problems.add(new ConfigProblem(path, unknownKeyMessage(path) + origin(value)));
            }
        }
    }

    String unknownKeyMessage(String path) {
        Optional<String> suggestion = ClosestKey.among(path, leaves);
        String message = "unknown key";
        if (suggestion.isPresent()) {
            message += "; did you mean " + suggestion.get() + "?";
        } else {
            String section = path.substring(0, path.lastIndexOf('.'));
            if (sections.contains(section)) {
                message += "; keys in " + section + ": " + String.join(", ", keysOf(section));
            } else {
                message += "; sections: " + String.join(", ", keysOf(ROOT));
            }
        }
        return message;
    }

    private List<String> keysOf(String section) {
        Set<String> names = new TreeSet<>();
        for (String key : leaves) {
            if (key.startsWith(section + ".")) {
                names.add(key.substring(section.length() + 1).split("\\.")[0]);
            }
        }
        for (String key : sections) {
            if (key.startsWith(section + ".")) {
                names.add(key.substring(section.length() + 1).split("\\.")[0]);
            }
        }
        return new ArrayList<>(names);
    }

    static String origin(ConfigValue value) {
        String description = value.origin() == null ? null : value.origin().description();
        return description == null || description.isBlank() ? "" : " (" + description + ")";
    }
}
