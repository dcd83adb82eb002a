package dev.sparktune.preprocess.template.jinja;

import static java.util.Map.entry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The read-only Python list methods chat templates call ({@code messages.index(m)}, ...). */
final class ListMethods {
    static final Map<String, PyMethods.PyMethod<List<?>>> METHODS = Map.ofEntries(
            entry("copy", ListMethods::copy), entry("count", ListMethods::count), entry("index", ListMethods::index));

    private ListMethods() {}

    private static List<Object> copy(List<?> l, Args a) {
        a.done(0);
        return new ArrayList<>(l);
    }

    private static long count(List<?> l, Args a) {
        Object x = a.required(0, "value");
        a.done(1);
        return l.stream().filter(o -> Py.eq(o, x)).count();
    }

    private static long index(List<?> l, Args a) {
        Object x = a.required(0, "value");
        a.done(1);
        for (int i = 0; i < l.size(); i++) {
            if (Py.eq(l.get(i), x)) {
                return i;
            }
        }
        throw new PyError("ValueError: " + Py.repr(x) + " is not in list");
    }
}
