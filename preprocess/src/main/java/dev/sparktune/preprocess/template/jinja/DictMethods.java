package dev.sparktune.preprocess.template.jinja;

import static java.util.Map.entry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The read-only Python dict methods chat templates call ({@code message.get('content')}, {@code d.items()}). */
final class DictMethods {
    static final Map<String, PyMethods.PyMethod<Map<?, ?>>> METHODS = Map.ofEntries(
            entry("copy", DictMethods::copy),
            entry("get", DictMethods::get),
            entry("items", DictMethods::items),
            entry("keys", DictMethods::keys),
            entry("values", DictMethods::values));

    private DictMethods() {}

    private static Map<Object, Object> copy(Map<?, ?> m, Args a) {
        a.done(0);
        return new LinkedHashMap<>(m);
    }

    private static Object get(Map<?, ?> m, Args a) {
        Object key = a.required(0, "key");
        Object def = a.get(1, "default", null);
        a.done(2);
        Object v = PyOperators.mapGet(m, key);
        return v == PyOperators.MISSING ? def : v;
    }

    private static List<Object> items(Map<?, ?> m, Args a) {
        a.done(0);
        return items(m);
    }

    /** {@code list(m.items())}: (key, value) tuples in insertion order. */
    static List<Object> items(Map<?, ?> m) {
        List<Object> out = new ArrayList<>();
        m.forEach((k, v) -> out.add(new PyTuple(k, v)));
        return out;
    }

    private static List<Object> keys(Map<?, ?> m, Args a) {
        a.done(0);
        return new ArrayList<>(m.keySet());
    }

    private static List<Object> values(Map<?, ?> m, Args a) {
        a.done(0);
        return new ArrayList<>(m.values());
    }
}
