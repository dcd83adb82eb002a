package dev.sparktune.preprocess.template.jinja;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Python semantics over the template value model: {@code null} = None, {@link Boolean}, {@link Long} (int),
 * {@link Double} (float), {@link String}, {@link List} (list; {@link PyTuple} for tuples), {@link Map} (dict, insertion
 * ordered), {@link Undefined}, {@link Namespace}, {@link PyCallable}. Strings are indexed by code point, as Python does.
 */
final class Py {
    private Py() {}

    // ---------------------------------------------------------------- type predicates

    static boolean isInt(Object o) {
        return o instanceof Long || o instanceof Integer;
    }

    /** int or bool: Python's bool is an int subclass, usable in arithmetic. */
    static boolean isIntLike(Object o) {
        return isInt(o) || o instanceof Boolean;
    }

    static boolean isNumber(Object o) {
        return isIntLike(o) || o instanceof Double || o instanceof Float;
    }

    static long toLong(Object o) {
        if (o instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return ((Number) o).longValue();
    }

    static double toDouble(Object o) {
        if (o instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return ((Number) o).doubleValue();
    }

    /** Python's name for each Java type of the value model, the more specific first (a PyTuple is also a List). */
    private static final List<Map.Entry<Class<?>, String>> TYPE_NAMES = List.of(
            Map.entry(String.class, "str"),
            Map.entry(Boolean.class, "bool"),
            Map.entry(Long.class, "int"),
            Map.entry(Integer.class, "int"),
            Map.entry(Double.class, "float"),
            Map.entry(Float.class, "float"),
            Map.entry(PyTuple.class, "tuple"),
            Map.entry(List.class, "list"),
            Map.entry(Map.class, "dict"),
            Map.entry(Undefined.class, "Undefined"),
            Map.entry(Namespace.class, "Namespace"),
            Map.entry(PyCallable.class, "function"));

    static String typeName(Object o) {
        if (o == null) {
            return "NoneType";
        }
        for (Map.Entry<Class<?>, String> type : TYPE_NAMES) {
            if (type.getKey().isInstance(o)) {
                return type.getValue();
            }
        }
        return o.getClass().getSimpleName();
    }

    static PyError undefinedError(Undefined u) {
        return new PyError("UndefinedError: " + u.hint);
    }

    // ---------------------------------------------------------------- truth, str, repr

    static boolean truthy(Object o) {
        if (o == null || o instanceof Undefined) {
            return false;
        }
        if (o instanceof Boolean b) {
            return b;
        }
        if (isInt(o)) {
            return toLong(o) != 0;
        }
        if (o instanceof Double d) {
            return d != 0.0;
        }
        if (o instanceof String s) {
            return !s.isEmpty();
        }
        if (o instanceof Collection<?> c) {
            return !c.isEmpty();
        }
        if (o instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        return true;
    }

    /** Python's {@code str(o)}; Undefined is ''. */
    static String str(Object o) {
        if (o instanceof String s) {
            return s;
        }
        if (o instanceof Undefined) {
            return "";
        }
        return repr(o);
    }

    static String repr(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (isInt(o)) {
            return Long.toString(toLong(o));
        }
        if (o instanceof Double d) {
            return floatRepr(d);
        }
        if (o instanceof String s) {
            return stringRepr(s);
        }
        if (o instanceof PyTuple t) {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < t.size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                sb.append(repr(t.get(i)));
            }
            return sb.append(t.size() == 1 ? ",)" : ")").toString();
        }
        if (o instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                sb.append(repr(l.get(i)));
            }
            return sb.append(']').toString();
        }
        if (o instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                sb.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
            }
            return sb.append('}').toString();
        }
        if (o instanceof Undefined) {
            return "Undefined";
        }
        return o.toString();
    }

    static String stringRepr(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(quote);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == quote || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
            } else if (cp == '\n') {
                sb.append("\\n");
            } else if (cp == '\r') {
                sb.append("\\r");
            } else if (cp == '\t') {
                sb.append("\\t");
            } else if (cp < 0x20 || cp == 0x7f) {
                sb.append(String.format("\\x%02x", cp));
            } else if (!isPrintable(cp)) {
                if (cp <= 0xff) {
                    sb.append(String.format("\\x%02x", cp));
                } else if (cp <= 0xffff) {
                    sb.append(String.format("\\u%04x", cp));
                } else {
                    sb.append(String.format("\\U%08x", cp));
                }
            } else {
                sb.appendCodePoint(cp);
            }
        }
        return sb.append(quote).toString();
    }

    private static boolean isPrintable(int cp) {
        if (cp == ' ') {
            return true;
        }
        int type = Character.getType(cp);
        return switch (type) {
            case Character.CONTROL,
                    Character.FORMAT,
                    Character.SURROGATE,
                    Character.PRIVATE_USE,
                    Character.UNASSIGNED,
                    Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR,
                    Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    /** Python's float repr: shortest round-trip digits, exponent form outside [1e-4, 1e16). */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal bd = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = bd.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - bd.scale(); // decimal exponent of the first digit
        String sign = d < 0 ? "-" : "";
        if (exponent >= -4 && exponent < 16) {
            String plain = bd.abs().toPlainString();
            if (!plain.contains(".")) {
                plain += ".0";
            }
            return sign + plain;
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "")
                + Math.abs(exponent);
    }

    // ---------------------------------------------------------------- equality and ordering

    static boolean eq(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (isNumber(a) && isNumber(b)) {
            if (isIntLike(a) && isIntLike(b)) {
                return toLong(a) == toLong(b);
            }
            return toDouble(a) == toDouble(b);
        }
        if (a instanceof String || b instanceof String) {
            return a.equals(b);
        }
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if ((a instanceof PyTuple) != (b instanceof PyTuple) || la.size() != lb.size()) {
                return false;
            }
            for (int i = 0; i < la.size(); i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                if (!mb.containsKey(e.getKey()) || !eq(e.getValue(), mb.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    static int compare(Object a, Object b, String op) {
        if (isNumber(a) && isNumber(b)) {
            if (isIntLike(a) && isIntLike(b)) {
                return Long.compare(toLong(a), toLong(b));
            }
            return Double.compare(toDouble(a), toDouble(b));
        }
        if (a instanceof String sa && b instanceof String sb) {
            return compareCodePoints(sa, sb);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb && (a instanceof PyTuple) == (b instanceof PyTuple)) {
            for (int i = 0; i < Math.min(la.size(), lb.size()); i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return compare(la.get(i), lb.get(i), op);
                }
            }
            return Integer.compare(la.size(), lb.size());
        }
        if (a instanceof Undefined u) {
            throw undefinedError(u);
        }
        if (b instanceof Undefined u) {
            throw undefinedError(u);
        }
        throw new PyError("TypeError: '" + op + "' not supported between instances of '" + typeName(a) + "' and '"
                + typeName(b) + "'");
    }

    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    static boolean contains(Object container, Object item) {
        if (container instanceof String s) {
            if (!(item instanceof String sub)) {
                throw new PyError("TypeError: 'in <string>' requires string as left operand, not " + typeName(item));
            }
            return s.contains(sub);
        }
        if (container instanceof Map<?, ?> m) {
            if (m.containsKey(item)) {
                return true;
            }
            for (Object k : m.keySet()) {
                if (eq(k, item)) {
                    return true;
                }
            }
            return false;
        }
        if (container instanceof List<?> l) {
            for (Object o : l) {
                if (eq(o, item)) {
                    return true;
                }
            }
            return false;
        }
        if (container instanceof Undefined) {
            return false;
        }
        throw new PyError("TypeError: argument of type '" + typeName(container) + "' is not iterable");
    }

    // ---------------------------------------------------------------- sequences

    static int[] codePoints(String s) {
        return s.codePoints().toArray();
    }

    static String fromCodePoints(int[] cps, int from, int to) {
        return new String(cps, from, to - from);
    }

    static int len(Object o) {
        if (o instanceof String s) {
            return s.codePointCount(0, s.length());
        }
        if (o instanceof Collection<?> c) {
            return c.size();
        }
        if (o instanceof Map<?, ?> m) {
            return m.size();
        }
        if (o instanceof Undefined) {
            return 0;
        }
        throw new PyError("TypeError: object of type '" + typeName(o) + "' has no len()");
    }

    /** Python's {@code iter()}: strings yield characters, dicts their keys, Undefined nothing. */
    static List<Object> iterate(Object o) {
        if (o instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        if (o instanceof Map<?, ?> m) {
            return new ArrayList<>(m.keySet());
        }
        if (o instanceof String s) {
            List<Object> chars = new ArrayList<>();
            s.codePoints().forEach(cp -> chars.add(new String(Character.toChars(cp))));
            return chars;
        }
        if (o instanceof Undefined) {
            return new ArrayList<>();
        }
        if (o instanceof Collection<?> c) {
            return new ArrayList<>(c);
        }
        if (o instanceof Iterable<?> it) {
            List<Object> out = new ArrayList<>();
            Iterator<?> iterator = it.iterator();
            iterator.forEachRemaining(out::add);
            return out;
        }
        throw new PyError("TypeError: '" + typeName(o) + "' object is not iterable");
    }

    /** Python slice semantics (negative indices and steps) over a sequence of {@code n} items. */
    static int[] sliceIndices(int n, Object startO, Object stopO, Object stepO) {
        long step = stepO == null ? 1 : toLong(stepO);
        if (step == 0) {
            throw new PyError("ValueError: slice step cannot be zero");
        }
        long start;
        long stop;
        if (step > 0) {
            start = startO == null ? 0 : clamp(toLong(startO), n, 0, n);
            stop = stopO == null ? n : clamp(toLong(stopO), n, 0, n);
        } else {
            start = startO == null ? n - 1 : clamp(toLong(startO), n, -1, n - 1);
            stop = stopO == null ? -1 : clamp(toLong(stopO), n, -1, n - 1);
        }
        List<Integer> idx = new ArrayList<>();
        if (step > 0) {
            for (long i = start; i < stop; i += step) {
                idx.add((int) i);
            }
        } else {
            for (long i = start; i > stop; i += step) {
                idx.add((int) i);
            }
        }
        return idx.stream().mapToInt(Integer::intValue).toArray();
    }

    private static long clamp(long i, int n, long lo, long hi) {
        if (i < 0) {
            i += n;
        }
        return Math.max(lo, Math.min(hi, i));
    }

    static Object slice(Object seq, Object start, Object stop, Object step) {
        for (Object o : new Object[] {start, stop, step}) {
            if (o != null && !isIntLike(o)) {
                throw new PyError("TypeError: slice indices must be integers or None, not " + typeName(o));
            }
        }
        if (seq instanceof String s) {
            int[] cps = codePoints(s);
            int[] idx = sliceIndices(cps.length, start, stop, step);
            StringBuilder sb = new StringBuilder();
            for (int i : idx) {
                sb.appendCodePoint(cps[i]);
            }
            return sb.toString();
        }
        if (seq instanceof List<?> l) {
            int[] idx = sliceIndices(l.size(), start, stop, step);
            List<Object> out = new ArrayList<>(idx.length);
            for (int i : idx) {
                out.add(l.get(i));
            }
            return seq instanceof PyTuple ? new PyTuple(out) : out;
        }
        if (seq instanceof Undefined u) {
            throw undefinedError(u);
        }
        throw new PyError("TypeError: '" + typeName(seq) + "' object is not subscriptable");
    }
}
