package dev.sparktune.preprocess.template.jinja;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Binds a call's positional and keyword arguments to a Python-style signature. */
final class Args {
    private final String function;
    private final List<Object> positional;
    private final Map<String, Object> keywords;
    private final Set<String> used = new HashSet<>();

    Args(String function, List<Object> positional, Map<String, Object> keywords) {
        this.function = function;
        this.positional = positional;
        this.keywords = keywords;
    }

    /** The positional arguments as given, for filters that take any number or hand them on (format, map, select). */
    List<Object> positional() {
        return positional;
    }

    /** The keyword arguments as given, for the map filter that hands them on to the filter it maps. */
    Map<String, Object> keywords() {
        return keywords;
    }

    boolean has(int index, String name) {
        return index < positional.size() || keywords.containsKey(name);
    }

    Object get(int index, String name, Object defaultValue) {
        used.add(name);
        if (index >= 0 && index < positional.size()) {
            if (keywords.containsKey(name)) {
                throw new PyError("TypeError: " + function + "() got multiple values for argument '" + name + "'");
            }
            return positional.get(index);
        }
        return keywords.containsKey(name) ? keywords.get(name) : defaultValue;
    }

    Object required(int index, String name) {
        if (!has(index, name)) {
            throw new PyError("TypeError: " + function + "() missing required argument '" + name + "'");
        }
        return get(index, name, null);
    }

    String string(int index, String name, String defaultValue) {
        Object v = get(index, name, defaultValue);
        if (v != null && !(v instanceof String)) {
            throw new PyError(
                    "TypeError: " + function + "() argument '" + name + "' must be str, not " + Py.typeName(v));
        }
        return (String) v;
    }

    boolean bool(int index, String name, boolean defaultValue) {
        return Py.truthy(get(index, name, defaultValue));
    }

    /** Fails on arguments the signature does not have (call after reading all of them). */
    void done(int maxPositional) {
        if (positional.size() > maxPositional) {
            throw new PyError("TypeError: " + function + "() takes at most " + maxPositional + " positional arguments ("
                    + positional.size() + " given)");
        }
        for (String k : keywords.keySet()) {
            if (!used.contains(k)) {
                throw new PyError("TypeError: " + function + "() got an unexpected keyword argument '" + k + "'");
            }
        }
    }
}
