package dev.sparktune.preprocess.template.jinja;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Attribute and item access, operators, filters, tests and globals with Jinja2 / Python semantics. */
final class Builtins {
    static final Object MISSING = new Object();
    private static final Pattern WORD = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern JINJA_WORD_BEGINNING = Pattern.compile("([-\\s({\\[<]+)");

    private Builtins() {
    }

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
            return ns.attributes.containsKey(name) ? ns.attributes.get(name)
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
                return i >= 0 && i < cps.length ? new String(Character.toChars(cps[(int) i]))
                        : new Undefined("string index out of range");
            }
            List<?> l = (List<?>) obj;
            if (i < 0) {
                i += l.size();
            }
            return i >= 0 && i < l.size() ? l.get((int) i)
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
                    return ints ? (Object) Math.floorDiv(Py.toLong(a), Py.toLong(b))
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
            if (a instanceof List<?> la && b instanceof List<?> lb && (a instanceof PyTuple) == (b instanceof PyTuple)) {
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
    private static String percentFormat(String fmt, Object args) {
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

    // ---------------------------------------------------------------- globals

    static Object range(List<Object> args, Map<String, Object> kwargs) {
        if (!kwargs.isEmpty() || args.isEmpty() || args.size() > 3) {
            throw new PyError("TypeError: range expected 1 to 3 integer arguments");
        }
        for (Object o : args) {
            if (!Py.isIntLike(o)) {
                throw new PyError("TypeError: '" + Py.typeName(o) + "' object cannot be interpreted as an integer");
            }
        }
        long start = args.size() == 1 ? 0 : Py.toLong(args.get(0));
        long stop = Py.toLong(args.get(args.size() == 1 ? 0 : 1));
        long step = args.size() == 3 ? Py.toLong(args.get(2)) : 1;
        if (step == 0) {
            throw new PyError("ValueError: range() arg 3 must not be zero");
        }
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
            if (out.size() > 100_000) {
                throw new PyError("OverflowError: range too big, more than 100000 items");
            }
            out.add(i);
        }
        return out;
    }

    static Object dict(List<Object> args, Map<String, Object> kwargs) {
        Map<Object, Object> out = new LinkedHashMap<>();
        if (args.size() > 1) {
            throw new PyError("TypeError: dict expected at most 1 argument");
        }
        if (args.size() == 1) {
            Object src = args.get(0);
            if (src instanceof Map<?, ?> m) {
                out.putAll(m);
            } else {
                for (Object pair : Py.iterate(src)) {
                    List<Object> kv = Py.iterate(pair);
                    if (kv.size() != 2) {
                        throw new PyError("ValueError: dictionary update sequence element has length " + kv.size());
                    }
                    out.put(kv.get(0), kv.get(1));
                }
            }
        }
        out.putAll(kwargs);
        return out;
    }

    static Object namespace(List<Object> args, Map<String, Object> kwargs) {
        Namespace ns = new Namespace();
        for (Object a : args) {
            if (!(a instanceof Map<?, ?> m)) {
                throw new PyError("TypeError: namespace() positional argument must be a dict");
            }
            m.forEach((k, v) -> ns.attributes.put(Py.str(k), v));
        }
        ns.attributes.putAll(kwargs);
        return ns;
    }

    /** Python's {@code datetime.now().strftime(fmt)} for the common directives. */
    static String strftime(LocalDateTime now, String fmt) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                sb.append(c);
                continue;
            }
            char d = fmt.charAt(++i);
            switch (d) {
                case 'Y' -> sb.append(String.format("%04d", now.getYear()));
                case 'y' -> sb.append(String.format("%02d", now.getYear() % 100));
                case 'm' -> sb.append(String.format("%02d", now.getMonthValue()));
                case 'd' -> sb.append(String.format("%02d", now.getDayOfMonth()));
                case '-' -> {
                    if (i + 1 < fmt.length() && fmt.charAt(i + 1) == 'd') {
                        i++;
                        sb.append(now.getDayOfMonth());
                    } else if (i + 1 < fmt.length() && fmt.charAt(i + 1) == 'm') {
                        i++;
                        sb.append(now.getMonthValue());
                    } else {
                        sb.append("%-");
                    }
                }
                case 'H' -> sb.append(String.format("%02d", now.getHour()));
                case 'I' -> sb.append(String.format("%02d", (now.getHour() + 11) % 12 + 1));
                case 'M' -> sb.append(String.format("%02d", now.getMinute()));
                case 'S' -> sb.append(String.format("%02d", now.getSecond()));
                case 'p' -> sb.append(now.getHour() < 12 ? "AM" : "PM");
                case 'B' -> sb.append(now.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'b' -> sb.append(now.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> sb.append(now.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> sb.append(now.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'j' -> sb.append(String.format("%03d", now.getDayOfYear()));
                case '%' -> sb.append('%');
                default -> sb.append('%').append(d);
            }
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- tests

    static boolean test(String name, Object v, List<Object> args) {
        switch (name) {
            case "defined":
                return !(v instanceof Undefined);
            case "undefined":
                return v instanceof Undefined;
            case "none":
                return v == null;
            case "string":
                return v instanceof String;
            case "number":
                return Py.isNumber(v);
            case "integer":
                return Py.isInt(v);
            case "float":
                return v instanceof Double;
            case "boolean":
                return v instanceof Boolean;
            case "true":
                return Boolean.TRUE.equals(v);
            case "false":
                return Boolean.FALSE.equals(v);
            case "mapping":
                return v instanceof Map;
            case "iterable":
                return v instanceof String || v instanceof List || v instanceof Map || v instanceof Undefined;
            case "sequence":
                return v instanceof String || v instanceof List || v instanceof Map || v instanceof Undefined;
            case "callable":
                return v instanceof PyCallable;
            case "even":
            case "odd": {
                if (!Py.isIntLike(v)) {
                    throw new PyError("TypeError: test '" + name + "' needs an integer, not " + Py.typeName(v));
                }
                return (Math.floorMod(Py.toLong(v), 2) == 0) == name.equals("even");
            }
            case "divisibleby": {
                Object n = arg(name, args, 0);
                return Py.toLong(Builtins.binary("%", v, n)) == 0;
            }
            case "in":
                return Py.contains(arg(name, args, 0), v);
            case "eq":
            case "equalto":
            case "==":
                return Py.eq(v, arg(name, args, 0));
            case "ne":
            case "!=":
                return !Py.eq(v, arg(name, args, 0));
            case "lt":
            case "lessthan":
            case "<":
                return Py.compare(v, arg(name, args, 0), "<") < 0;
            case "le":
            case "<=":
                return Py.compare(v, arg(name, args, 0), "<=") <= 0;
            case "gt":
            case "greaterthan":
            case ">":
                return Py.compare(v, arg(name, args, 0), ">") > 0;
            case "ge":
            case ">=":
                return Py.compare(v, arg(name, args, 0), ">=") >= 0;
            case "sameas":
                return v == arg(name, args, 0) || (v != null && Py.eq(v, arg(name, args, 0)) && !(v instanceof Map)
                        && !(v instanceof List));
            case "lower":
                return v instanceof String s && s.equals(s.toLowerCase(Locale.ROOT));
            case "upper":
                return v instanceof String s && s.equals(s.toUpperCase(Locale.ROOT));
            default:
                throw new PyError("no test named '" + name + "'");
        }
    }

    private static Object arg(String test, List<Object> args, int i) {
        if (args.size() <= i) {
            throw new PyError("TypeError: test '" + test + "' needs an argument");
        }
        return args.get(i);
    }

    // ---------------------------------------------------------------- filters

    private static String soft(Object v) {
        return Py.str(v);
    }

    private static Object attributeOf(Object item, String attribute) {
        Object v = item;
        for (String part : attribute.split("\\.")) {
            v = part.chars().allMatch(Character::isDigit) && !part.isEmpty()
                    ? getItem(v, Long.parseLong(part)) : getItem(v, part);
        }
        return v;
    }

    private static Comparator<Object> sortKey(boolean caseSensitive, String attribute) {
        return (x, y) -> {
            Object a = attribute == null ? x : attributeOf(x, attribute);
            Object b = attribute == null ? y : attributeOf(y, attribute);
            if (!caseSensitive) {
                if (a instanceof String s) {
                    a = s.toLowerCase(Locale.ROOT);
                }
                if (b instanceof String s) {
                    b = s.toLowerCase(Locale.ROOT);
                }
            }
            return Py.compare(a, b, "<");
        };
    }

    static Object filter(String name, Object v, List<Object> positional, Map<String, Object> kwargs) {
        Args a = new Args(name, positional, kwargs);
        switch (name) {
            case "trim": {
                String chars = a.string(0, "chars", null);
                a.done(1);
                return StrMethods.strip(soft(v), chars, true, true);
            }
            case "length":
            case "count":
                a.done(0);
                return (long) Py.len(v);
            case "tojson": {
                boolean ensureAscii = a.bool(0, "ensure_ascii", false);
                Object indent = a.get(1, "indent", null);
                Object separators = a.get(2, "separators", null);
                boolean sortKeys = a.bool(3, "sort_keys", false);
                a.done(4);
                String indentStr = null;
                if (Py.isIntLike(indent)) {
                    indentStr = " ".repeat((int) Math.max(0, Py.toLong(indent)));
                } else if (indent instanceof String s) {
                    indentStr = s;
                } else if (indent != null) {
                    throw new PyError("TypeError: tojson indent must be an int or a string");
                }
                String itemSep = null;
                String keySep = null;
                if (separators != null) {
                    List<Object> seps = Py.iterate(separators);
                    if (seps.size() != 2) {
                        throw new PyError("ValueError: tojson separators must be a pair (item, key)");
                    }
                    itemSep = soft(seps.get(0));
                    keySep = soft(seps.get(1));
                }
                if (v instanceof Undefined u) {
                    throw new PyError("TypeError: Object of type Undefined is not JSON serializable (" + u.hint + ")");
                }
                return PyJson.dumps(v, indentStr, itemSep, keySep, sortKeys, ensureAscii);
            }
            case "upper":
                a.done(0);
                return soft(v).toUpperCase(Locale.ROOT);
            case "lower":
                a.done(0);
                return soft(v).toLowerCase(Locale.ROOT);
            case "capitalize":
                a.done(0);
                return StrMethods.capitalize(soft(v));
            case "title": {
                a.done(0);
                StringBuilder sb = new StringBuilder();
                Matcher m = JINJA_WORD_BEGINNING.matcher(soft(v));
                String s = soft(v);
                int last = 0;
                List<String> parts = new ArrayList<>();
                while (m.find()) {
                    parts.add(s.substring(last, m.start()));
                    parts.add(m.group());
                    last = m.end();
                }
                parts.add(s.substring(last));
                for (String item : parts) {
                    if (!item.isEmpty()) {
                        int first = item.codePointAt(0);
                        sb.append(new String(Character.toChars(first)).toUpperCase(Locale.ROOT))
                                .append(item.substring(Character.charCount(first)).toLowerCase(Locale.ROOT));
                    }
                }
                return sb.toString();
            }
            case "replace": {
                String old = soft(a.required(0, "old"));
                String rep = soft(a.required(1, "new"));
                Object count = a.get(2, "count", null);
                a.done(3);
                return StrMethods.replace(soft(v), old, rep, count == null ? -1 : Py.toLong(count));
            }
            case "join": {
                String d = soft(a.get(0, "d", ""));
                String attribute = a.string(1, "attribute", null);
                a.done(2);
                StringBuilder sb = new StringBuilder();
                boolean first = true;
                for (Object item : Py.iterate(v)) {
                    if (!first) {
                        sb.append(d);
                    }
                    first = false;
                    sb.append(soft(attribute == null ? item : attributeOf(item, attribute)));
                }
                return sb.toString();
            }
            case "first": {
                a.done(0);
                List<Object> items = Py.iterate(v);
                return items.isEmpty() ? new Undefined("No first item, sequence was empty.") : items.get(0);
            }
            case "last": {
                a.done(0);
                List<Object> items = Py.iterate(v);
                return items.isEmpty() ? new Undefined("No last item, sequence was empty.")
                        : items.get(items.size() - 1);
            }
            case "default":
            case "d": {
                Object def = a.get(0, "default_value", "");
                boolean bool = a.bool(1, "boolean", false);
                a.done(2);
                if (v instanceof Undefined || (bool && !Py.truthy(v))) {
                    return def;
                }
                return v;
            }
            case "list":
                a.done(0);
                return Py.iterate(v);
            case "string":
                a.done(0);
                return soft(v);
            case "safe":
                a.done(0);
                return v;
            case "int": {
                Object def = a.get(0, "default", 0L);
                Object base = a.get(1, "base", 10L);
                a.done(2);
                return toInt(v, def, (int) Py.toLong(base));
            }
            case "float": {
                Object def = a.get(0, "default", 0.0);
                a.done(1);
                return toFloat(v, def);
            }
            case "abs":
                a.done(0);
                if (Py.isIntLike(v)) {
                    return Math.abs(Py.toLong(v));
                }
                if (v instanceof Double d) {
                    return Math.abs(d);
                }
                throw new PyError("TypeError: bad operand type for abs(): '" + Py.typeName(v) + "'");
            case "items": {
                a.done(0);
                if (v instanceof Undefined) {
                    return new ArrayList<>();
                }
                if (!(v instanceof Map<?, ?> m)) {
                    throw new PyError("TypeError: can only get item pairs from a mapping");
                }
                List<Object> out = new ArrayList<>();
                m.forEach((k, x) -> out.add(new PyTuple(k, x)));
                return out;
            }
            case "dictsort": {
                boolean caseSensitive = a.bool(0, "case_sensitive", false);
                String by = a.string(1, "by", "key");
                boolean reverse = a.bool(2, "reverse", false);
                a.done(3);
                if (!(v instanceof Map<?, ?> m)) {
                    throw new PyError("TypeError: dictsort needs a mapping");
                }
                int pos = by.equals("key") ? 0 : 1;
                List<Object> out = new ArrayList<>();
                m.forEach((k, x) -> out.add(new PyTuple(k, x)));
                Comparator<Object> cmp = (x, y) -> sortKey(caseSensitive, null)
                        .compare(((List<?>) x).get(pos), ((List<?>) y).get(pos));
                out.sort(reverse ? cmp.reversed() : cmp);
                return out;
            }
            case "map": {
                List<Object> out = new ArrayList<>();
                if (kwargs.containsKey("attribute")) {
                    String attribute = soft(kwargs.get("attribute"));
                    boolean hasDefault = kwargs.containsKey("default");
                    Object def = kwargs.get("default");
                    for (Object item : Py.iterate(v)) {
                        Object x = attributeOf(item, attribute);
                        out.add(hasDefault && x instanceof Undefined ? def : x);
                    }
                    return out;
                }
                if (positional.isEmpty()) {
                    throw new PyError("TypeError: map needs a filter name or attribute=");
                }
                String filterName = soft(positional.get(0));
                List<Object> rest = positional.subList(1, positional.size());
                for (Object item : Py.iterate(v)) {
                    out.add(filter(filterName, item, rest, kwargs));
                }
                return out;
            }
            case "select":
            case "reject":
            case "selectattr":
            case "rejectattr": {
                boolean attr = name.endsWith("attr");
                boolean select = name.startsWith("select");
                int i = 0;
                String attribute = attr ? soft(positional.get(i++)) : null;
                String testName = positional.size() > i ? soft(positional.get(i++)) : null;
                List<Object> testArgs = positional.subList(Math.min(i, positional.size()), positional.size());
                List<Object> out = new ArrayList<>();
                for (Object item : Py.iterate(v)) {
                    Object x = attr ? attributeOf(item, attribute) : item;
                    boolean ok = testName == null ? Py.truthy(x) : test(testName, x, testArgs);
                    if (ok == select) {
                        out.add(item);
                    }
                }
                return out;
            }
            case "unique": {
                boolean caseSensitive = a.bool(0, "case_sensitive", false);
                String attribute = a.string(1, "attribute", null);
                a.done(2);
                List<Object> out = new ArrayList<>();
                List<Object> seen = new ArrayList<>();
                for (Object item : Py.iterate(v)) {
                    Object key = attribute == null ? item : attributeOf(item, attribute);
                    if (!caseSensitive && key instanceof String s) {
                        key = s.toLowerCase(Locale.ROOT);
                    }
                    if (!Py.contains(seen, key)) {
                        seen.add(key);
                        out.add(item);
                    }
                }
                return out;
            }
            case "reverse": {
                a.done(0);
                if (v instanceof String s) {
                    return Py.slice(s, null, null, -1L);
                }
                List<Object> items = Py.iterate(v);
                java.util.Collections.reverse(items);
                return items;
            }
            case "sort": {
                boolean reverse = a.bool(0, "reverse", false);
                boolean caseSensitive = a.bool(1, "case_sensitive", false);
                String attribute = a.string(2, "attribute", null);
                a.done(3);
                List<Object> items = Py.iterate(v);
                Comparator<Object> cmp = sortKey(caseSensitive, attribute);
                items.sort(reverse ? cmp.reversed() : cmp);
                return items;
            }
            case "max":
            case "min": {
                boolean caseSensitive = a.bool(0, "case_sensitive", false);
                String attribute = a.string(1, "attribute", null);
                a.done(2);
                List<Object> items = Py.iterate(v);
                if (items.isEmpty()) {
                    return new Undefined("No aggregated item, sequence was empty.");
                }
                Comparator<Object> cmp = sortKey(caseSensitive, attribute);
                Object best = items.get(0);
                for (Object item : items) {
                    int c = cmp.compare(item, best);
                    if (name.equals("max") ? c > 0 : c < 0) {
                        best = item;
                    }
                }
                return best;
            }
            case "sum": {
                String attribute = a.string(0, "attribute", null);
                Object start = a.get(1, "start", 0L);
                a.done(2);
                Object total = start;
                for (Object item : Py.iterate(v)) {
                    total = binary("+", total, attribute == null ? item : attributeOf(item, attribute));
                }
                return total;
            }
            case "round": {
                Object precision = a.get(0, "precision", 0L);
                String method = a.string(1, "method", "common");
                a.done(2);
                if (!Py.isNumber(v)) {
                    throw new PyError("TypeError: round needs a number, not " + Py.typeName(v));
                }
                RoundingMode mode = switch (method) {
                    case "common" -> RoundingMode.HALF_EVEN;
                    case "ceil" -> RoundingMode.CEILING;
                    case "floor" -> RoundingMode.FLOOR;
                    default -> throw new PyError("TypeError: method must be common, ceil or floor");
                };
                BigDecimal bd = new BigDecimal(Py.toDouble(v)).setScale((int) Py.toLong(precision), mode);
                return bd.doubleValue();
            }
            case "indent": {
                Object width = a.get(0, "width", 4L);
                boolean first = a.bool(1, "first", false);
                boolean blank = a.bool(2, "blank", false);
                a.done(3);
                String ind = width instanceof String w ? w : " ".repeat((int) Py.toLong(width));
                // Jinja2's do_indent, including its quirk of appending a newline before splitting lines
                List<Object> lines = StrMethods.splitlines(soft(v) + "\n", false);
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < lines.size(); i++) {
                    String line = (String) lines.get(i);
                    if (i > 0) {
                        sb.append('\n');
                        if (blank || !line.isEmpty()) {
                            sb.append(ind);
                        }
                    }
                    sb.append(line);
                }
                return first ? ind + sb : sb.toString();
            }
            case "wordcount": {
                a.done(0);
                Matcher m = WORD.matcher(soft(v));
                long n = 0;
                while (m.find()) {
                    n++;
                }
                return n;
            }
            case "batch": {
                long size = Py.toLong(a.required(0, "linecount"));
                Object fill = a.get(1, "fill_with", null);
                boolean hasFill = a.has(1, "fill_with");
                a.done(2);
                List<Object> out = new ArrayList<>();
                List<Object> cur = new ArrayList<>();
                for (Object item : Py.iterate(v)) {
                    if (cur.size() == size) {
                        out.add(cur);
                        cur = new ArrayList<>();
                    }
                    cur.add(item);
                }
                if (!cur.isEmpty()) {
                    while (hasFill && cur.size() < size) {
                        cur.add(fill);
                    }
                    out.add(cur);
                }
                return out;
            }
            case "e":
            case "escape": {
                a.done(0);
                return soft(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                        .replace("\"", "&#34;").replace("'", "&#39;");
            }
            case "center": {
                long width = Py.toLong(a.get(0, "width", 80L));
                a.done(1);
                return StrMethods.justify(soft(v), width, " ", StrMethods::centerPad);
            }
            case "truncate": {
                long length = Py.toLong(a.get(0, "length", 255L));
                boolean killwords = a.bool(1, "killwords", false);
                String end = a.string(2, "end", "...");
                long leeway = Py.toLong(a.get(3, "leeway", 5L));
                a.done(4);
                String s = soft(v);
                if (Py.len(s) <= length + leeway) {
                    return s;
                }
                String cut = (String) Py.slice(s, null, length - Py.len(end), null);
                if (killwords) {
                    return cut + end;
                }
                int sp = cut.lastIndexOf(' ');
                return (sp >= 0 ? cut.substring(0, sp) : cut) + end;
            }
            case "format": {
                return percentFormat(soft(v), new PyTuple(positional));
            }
            default:
                throw new PyError("no filter named '" + name + "'");
        }
    }

    private static Object toInt(Object v, Object def, int base) {
        if (Py.isIntLike(v)) {
            return Py.toLong(v);
        }
        if (v instanceof Double d) {
            return (long) d.doubleValue();
        }
        if (v instanceof String s) {
            String t = s.strip().replace("_", "");
            try {
                if (base == 16 && (t.startsWith("0x") || t.startsWith("0X"))) {
                    t = t.substring(2);
                }
                return Long.parseLong(t, base);
            } catch (NumberFormatException e) {
                try {
                    return (long) Double.parseDouble(t);
                } catch (NumberFormatException e2) {
                    return def;
                }
            }
        }
        return def;
    }

    private static Object toFloat(Object v, Object def) {
        if (Py.isNumber(v)) {
            return Py.toDouble(v);
        }
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s.strip());
            } catch (NumberFormatException e) {
                return def;
            }
        }
        return def;
    }
}
