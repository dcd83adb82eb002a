package dev.sparktune.preprocess.template.jinja;

import static java.util.Map.entry;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.Predicate;

/** Jinja2's builtin tests ({@code value is name}, {@code value is name(arg)}), under the names of its test list. */
final class Tests {
    /** Tests of the value alone; arguments given to them are ignored. */
    private static final Map<String, Predicate<Object>> UNARY = Map.ofEntries(
            entry("boolean", v -> v instanceof Boolean),
            entry("callable", v -> v instanceof PyCallable),
            entry("defined", v -> !(v instanceof Undefined)),
            entry("even", v -> isEven(v, "even")),
            entry("false", Boolean.FALSE::equals),
            entry("float", v -> v instanceof Double),
            entry("integer", Py::isInt),
            entry("iterable", Tests::isIterable),
            entry("lower", v -> v instanceof String s && s.equals(s.toLowerCase(Locale.ROOT))),
            entry("mapping", v -> v instanceof Map),
            entry("none", v -> v == null),
            entry("number", Py::isNumber),
            entry("odd", v -> !isEven(v, "odd")),
            entry("sequence", Tests::isIterable),
            entry("string", v -> v instanceof String),
            entry("true", Boolean.TRUE::equals),
            entry("undefined", v -> v instanceof Undefined),
            entry("upper", v -> v instanceof String s && s.equals(s.toUpperCase(Locale.ROOT))));

    /** Tests of the value against their first argument; more arguments are ignored. */
    private static final Map<String, BiPredicate<Object, Object>> BINARY = Map.ofEntries(
            entry("!=", Tests::ne),
            entry("<", Tests::lt),
            entry("<=", Tests::le),
            entry("==", Py::eq),
            entry(">", Tests::gt),
            entry(">=", Tests::ge),
            entry("divisibleby", (v, n) -> Py.toLong(PyOperators.binary("%", v, n)) == 0),
            entry("eq", Py::eq),
            entry("equalto", Py::eq),
            entry("ge", Tests::ge),
            entry("greaterthan", Tests::gt),
            entry("gt", Tests::gt),
            entry("in", (v, container) -> Py.contains(container, v)),
            entry("le", Tests::le),
            entry("lessthan", Tests::lt),
            entry("lt", Tests::lt),
            entry("ne", Tests::ne),
            entry("sameas", Tests::sameas));

    private Tests() {}

    static boolean test(String name, Object v, List<Object> args) {
        Predicate<Object> unary = UNARY.get(name);
        if (unary != null) {
            return unary.test(v);
        }
        BiPredicate<Object, Object> binary = BINARY.get(name);
        if (binary == null) {
            throw new PyError("no test named '" + name + "'");
        }
        if (args.isEmpty()) {
            throw new PyError("TypeError: test '" + name + "' needs an argument");
        }
        return binary.test(v, args.get(0));
    }

    /** Jinja2's Undefined iterates as empty and has a length, so it passes iterable and sequence as well. */
    private static boolean isIterable(Object v) {
        return v instanceof String || v instanceof List || v instanceof Map || v instanceof Undefined;
    }

    private static boolean isEven(Object v, String test) {
        if (!Py.isIntLike(v)) {
            throw new PyError("TypeError: test '" + test + "' needs an integer, not " + Py.typeName(v));
        }
        return Math.floorMod(Py.toLong(v), 2) == 0;
    }

    private static boolean ne(Object v, Object other) {
        return !Py.eq(v, other);
    }

    private static boolean lt(Object v, Object other) {
        return Py.compare(v, other, "<") < 0;
    }

    private static boolean le(Object v, Object other) {
        return Py.compare(v, other, "<=") <= 0;
    }

    private static boolean gt(Object v, Object other) {
        return Py.compare(v, other, ">") > 0;
    }

    private static boolean ge(Object v, Object other) {
        return Py.compare(v, other, ">=") >= 0;
    }

    /**
     * Python's {@code is}: dicts and lists only when they are the very object; equal numbers, strings and booleans
     * count as the same, which Python's small-int cache and string interning mostly make them.
     */
    private static boolean sameas(Object v, Object other) {
        return v == other || (v != null && Py.eq(v, other) && !(v instanceof Map) && !(v instanceof List));
    }
}
