package dev.sparktune.preprocess.template.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Attribute and item access and operators with Jinja2 / Python semantics; the filters, tests and globals are in
 * {@link Filters}, {@link Tests} and {@link Globals}.
 */
final class PyOperators {
    static final Object MISSING = new Object();

    private PyOperators() {}

    // ---------------------------------------------------------------- access

    static Object mapGet(Map<?, ?> m, Object key) {
        if (m.containsKey(key)) {
            return m.get(key);
        }
        if (Py.isNumber(key)) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (Py.eq(e.getKey(), key)) {
                    return e.getValue();
                }
            }
        }
        return MISSING;
    }

    /** {@code obj.name}: Python getattr first, then {@code obj[name]} (Jinja2's {@code Environment.getattr}). */
    static Object getAttr(Object obj, String name) {
        if (obj instanceof Undefined u) {
            throw Py.undefinedError(u);
        }
        if (obj instanceof Map<?, ?> m) {
            if (DictMethods.METHODS.containsKey(name)) {
                return new PyMethods.BoundMethod(obj, name);
            }
            Object v = mapGet(m, name);
            return v != MISSING ? v : new Undefined("'dict object' has no attribute '" + name + "'");
        }
        if (obj instanceof Namespace ns) {
            return ns.attributes.containsKey(name)
                    ? ns.attributes.get(name)
                    : new Undefined("'Namespace' has no attribute '" + name + "'");
        }
        if (obj instanceof Interpreter.LoopInfo loop) {
            return loop.attribute(name);
        }
        if (obj instanceof String && StrMethods.METHODS.containsKey(name)) {
            return new PyMethods.BoundMethod(obj, name);
        }
        if (obj instanceof List && !(obj instanceof PyTuple) && ListMethods.METHODS.containsKey(name)) {
            return new PyMethods.BoundMethod(obj, name);
        }
        if ((obj instanceof List || obj instanceof Map) && PyMethods.UNSAFE_METHODS.contains(name)) {
            return new PyMethods.BoundMethod(obj, name);
        }
        return new Undefined("'" + Py.typeName(obj) + " object' has no attribute '" + name + "'");
    }

    /** {@code obj[key]}: item first, then attribute for string keys (Jinja2's {@code Environment.getitem}). */
    static Object getItem(Object obj, Object key) {
        if (obj instanceof Undefined u) {
            throw Py.undefinedError(u);
        }
        if (obj instanceof Map<?, ?> m) {
            Object v = mapGet(m, key);
            if (v != MISSING) {
                return v;
            }
            if (key instanceof String s && DictMethods.METHODS.containsKey(s)) {
                return new PyMethods.BoundMethod(obj, s);
            }
            return new Undefined("'dict object' has no attribute " + Py.repr(key));
        }
        if ((obj instanceof List || obj instanceof String) && Py.isIntLike(key)) {
            long i = Py.toLong(key);
            if (obj instanceof String s) {
                int[] cps = Py.codePoints(s);
                if (i < 0) {
                    i += cps.length;
                }
                return i >= 0 && i < cps.length
                        ? new String(Character.toChars(cps[(int) i]))
                        : new Undefined("string index out of range");
            }
            List<?> l = (List<?>) obj;
            if (i < 0) {
                i += l.size();
            }
            return i >= 0 && i < l.size()
                    ? l.get((int) i)
                    : new Undefined(Py.typeName(obj) + " object has no element " + Py.repr(key));
        }
        if (key instanceof String s) {
            return getAttr(obj, s);
        }
        return new Undefined("'" + Py.typeName(obj) + " object' has no attribute " + Py.repr(key));
    }

    // ---------------------------------------------------------------- operators

    private static PyError unsupported(String op, Object a, Object b) {
        if (a instanceof Undefined u) {
            return Py.undefinedError(u);
        }
        if (b instanceof Undefined u) {
            return Py.undefinedError(u);
        }
        if (op.equals("+") && a instanceof String) {
            return new PyError("TypeError: can only concatenate str (not \"" + Py.typeName(b) + "\") to str");
        }
        return new PyError("TypeError: unsupported operand type(s) for " + op + ": '" + Py.typeName(a) + "' and '"
                + Py.typeName(b) + "'");
    }

    static Object binary(String op, Object a, Object b) {
        if (op.equals("~")) {
            return Py.str(a) + Py.str(b);
        }
        if (Py.isNumber(a) && Py.isNumber(b)) {
            boolean ints = Py.isIntLike(a) && Py.isIntLike(b);
            switch (op) {
                case "+" -> {
                    return ints ? (Object) (Py.toLong(a) + Py.toLong(b)) : (Object) (Py.toDouble(a) + Py.toDouble(b));
                }
                case "-" -> {
                    return ints ? (Object) (Py.toLong(a) - Py.toLong(b)) : (Object) (Py.toDouble(a) - Py.toDouble(b));
                }
                case "*" -> {
                    return ints ? (Object) (Py.toLong(a) * Py.toLong(b)) : (Object) (Py.toDouble(a) * Py.toDouble(b));
                }
                case "/" -> {
                    if (Py.toDouble(b) == 0) {
                        throw new PyError("ZeroDivisionError: division by zero");
                    }
                    return Py.toDouble(a) / Py.toDouble(b);
                }
                case "//" -> {
                    if (Py.toDouble(b) == 0) {
                        throw new PyError("ZeroDivisionError: integer division or modulo by zero");
                    }
                    return ints
                            ? (Object) Math.floorDiv(Py.toLong(a), Py.toLong(b))
                            : (Object) Math.floor(Py.toDouble(a) / Py.toDouble(b));
                }
                case "%" -> {
                    if (Py.toDouble(b) == 0) {
                        throw new PyError("ZeroDivisionError: integer division or modulo by zero");
                    }
                    if (ints) {
                        return Math.floorMod(Py.toLong(a), Py.toLong(b));
                    }
                    double x = Py.toDouble(a);
                    double y = Py.toDouble(b);
                    double r = x % y;
                    return (r != 0 && (r < 0) != (y < 0)) ? r + y : r;
                }
                case "**" -> {
                    if (ints && Py.toLong(b) >= 0) {
                        long base = Py.toLong(a);
                        long result = 1;
                        for (long i = 0; i < Py.toLong(b); i++) {
                            result = Math.multiplyExact(result, base);
                        }
                        return result;
                    }
                    return Math.pow(Py.toDouble(a), Py.toDouble(b));
                }
                default -> throw unsupported(op, a, b);
            }
        }
        if (op.equals("+")) {
            if (a instanceof String sa && b instanceof String sb) {
                return sa + sb;
            }
            if (a instanceof List<?> la
                    && b instanceof List<?> lb
                    && (a instanceof PyTuple) == (b instanceof PyTuple)) {
                List<Object> out = new ArrayList<>(la);
                out.addAll(lb);
                return a instanceof PyTuple ? new PyTuple(out) : out;
            }
        }
        if (op.equals("*")) {
            Object seq = Py.isIntLike(a) ? b : a;
            Object times = Py.isIntLike(a) ? a : b;
            if (Py.isIntLike(times) && (seq instanceof String || seq instanceof List)) {
                long n = Math.max(0, Py.toLong(times));
                if (seq instanceof String s) {
                    return s.repeat((int) n);
                }
                List<Object> out = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    out.addAll((List<?>) seq);
                }
                return seq instanceof PyTuple ? new PyTuple(out) : out;
            }
        }
        if (op.equals("%") && a instanceof String fmt) {
            return percentFormat(fmt, b);
        }
        throw unsupported(op, a, b);
    }

    /** Python's {@code "%s" % args} for %s, %r, %d, %i and %%. */
    static String percentFormat(String fmt, Object args) {
        List<Object> values = args instanceof PyTuple t ? t : List.of(args == null ? "None" : args);
        if (args == null) {
            values = new ArrayList<>();
            values.add(null);
        }
        StringBuilder sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (i + 1 >= fmt.length()) {
                throw new PyError("ValueError: incomplete format");
            }
            char conv = fmt.charAt(++i);
            if (conv == '%') {
                sb.append('%');
                continue;
            }
            if (next >= values.size()) {
                throw new PyError("TypeError: not enough arguments for format string");
            }
            Object v = values.get(next++);
            switch (conv) {
                case 's' -> sb.append(Py.str(v));
                case 'r' -> sb.append(Py.repr(v));
                case 'd', 'i' -> {
                    if (!Py.isNumber(v)) {
                        throw new PyError("TypeError: %d format: a real number is required, not " + Py.typeName(v));
                    }
                    sb.append((long) Py.toDouble(v));
                }
                default -> throw new PyError("ValueError: unsupported format character '" + conv + "'");
            }
        }
        if (next < values.size()) {
            throw new PyError("TypeError: not all arguments converted during string formatting");
        }
        return sb.toString();
    }

    static Object negate(Object v) {
        if (Py.isIntLike(v)) {
            return -Py.toLong(v);
        }
        if (v instanceof Double d) {
            return -d;
        }
        if (v instanceof Undefined u) {
            throw Py.undefinedError(u);
        }
        throw new PyError("TypeError: bad operand type for unary -: '" + Py.typeName(v) + "'");
    }
}
