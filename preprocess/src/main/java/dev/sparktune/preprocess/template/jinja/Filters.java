package dev.sparktune.preprocess.template.jinja;

import static java.util.Map.entry;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Jinja2's builtin filters ({@code value|name(args)}) that chat templates use, under the names of its filter list. */
final class Filters {
    private static final Pattern WORD = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern JINJA_WORD_BEGINNING = Pattern.compile("([-\\s({\\[<]+)");

    /** A filter applied to the value left of the bar; {@code args} are named after the filter as it was called. */
    @FunctionalInterface
    interface Filter {
        Object apply(Object value, Args args);
    }

    private static final Map<String, Filter> FILTERS = Map.ofEntries(
            entry("abs", Filters::abs),
            entry("batch", Filters::batch),
            entry("capitalize", Filters::capitalize),
            entry("center", Filters::center),
            entry("count", Filters::length),
            entry("d", Filters::defaultValue),
            entry("default", Filters::defaultValue),
            entry("dictsort", Filters::dictsort),
            entry("e", Filters::escape),
            entry("escape", Filters::escape),
            entry("first", Filters::first),
            entry("float", Filters::toFloat),
            entry("format", Filters::format),
            entry("indent", Filters::indent),
            entry("int", Filters::toInt),
            entry("items", Filters::items),
            entry("join", Filters::join),
            entry("last", Filters::last),
            entry("length", Filters::length),
            entry("list", Filters::list),
            entry("lower", Filters::lower),
            entry("map", Filters::map),
            entry("max", (v, a) -> extreme(v, a, true)),
            entry("min", (v, a) -> extreme(v, a, false)),
            entry("reject", (v, a) -> select(v, a, false, false)),
            entry("rejectattr", (v, a) -> select(v, a, true, false)),
            entry("replace", Filters::replace),
            entry("reverse", Filters::reverse),
            entry("round", Filters::round),
            entry("safe", Filters::safe),
            entry("select", (v, a) -> select(v, a, false, true)),
            entry("selectattr", (v, a) -> select(v, a, true, true)),
            entry("sort", Filters::sort),
            entry("string", Filters::string),
            entry("sum", Filters::sum),
            entry("title", Filters::title),
            entry("tojson", Filters::tojson),
            entry("trim", Filters::trim),
            entry("truncate", Filters::truncate),
            entry("unique", Filters::unique),
            entry("upper", Filters::upper),
            entry("wordcount", Filters::wordcount));

    private Filters() {}

    static Object apply(String name, Object value, List<Object> positional, Map<String, Object> kwargs) {
        Filter filter = FILTERS.get(name);
        if (filter == null) {
            throw new PyError("no filter named '" + name + "'");
        }
        return filter.apply(value, new Args(name, positional, kwargs));
    }

    /** Jinja2's attribute getter: {@code a.b.0} looks up {@code a['b'][0]}, as {@code attribute=} arguments do. */
    private static Object attributeOf(Object item, String attribute) {
        Object v = item;
        for (String part : attribute.split("\\.")) {
            v = part.chars().allMatch(Character::isDigit) && !part.isEmpty()
                    ? PyOperators.getItem(v, Long.parseLong(part))
                    : PyOperators.getItem(v, part);
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

    private static Object abs(Object v, Args a) {
        a.done(0);
        if (Py.isIntLike(v)) {
            return Math.abs(Py.toLong(v));
        }
        if (v instanceof Double d) {
            return Math.abs(d);
        }
        throw new PyError("TypeError: bad operand type for abs(): '" + Py.typeName(v) + "'");
    }

    private static Object batch(Object v, Args a) {
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

    private static Object capitalize(Object v, Args a) {
        a.done(0);
        return StrMethods.capitalize(Py.str(v));
    }

    private static Object center(Object v, Args a) {
        long width = Py.toLong(a.get(0, "width", 80L));
        a.done(1);
        return StrMethods.justify(Py.str(v), width, " ", StrMethods::centerPad);
    }

    private static Object defaultValue(Object v, Args a) {
        Object def = a.get(0, "default_value", "");
        boolean bool = a.bool(1, "boolean", false);
        a.done(2);
        if (v instanceof Undefined || (bool && !Py.truthy(v))) {
            return def;
        }
        return v;
    }

    private static Object dictsort(Object v, Args a) {
        boolean caseSensitive = a.bool(0, "case_sensitive", false);
        String by = a.string(1, "by", "key");
        boolean reverse = a.bool(2, "reverse", false);
        a.done(3);
        if (!(v instanceof Map<?, ?> m)) {
            throw new PyError("TypeError: dictsort needs a mapping");
        }
        int pos = by.equals("key") ? 0 : 1;
        List<Object> out = DictMethods.items(m);
        Comparator<Object> cmp =
                (x, y) -> sortKey(caseSensitive, null).compare(((List<?>) x).get(pos), ((List<?>) y).get(pos));
        out.sort(reverse ? cmp.reversed() : cmp);
        return out;
    }

    private static Object escape(Object v, Args a) {
        a.done(0);
        return Py.str(v)
                .replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\"", "&#34;")
                .replace("'", "&#39;");
    }

    private static Object first(Object v, Args a) {
        a.done(0);
        List<Object> items = Py.iterate(v);
        return items.isEmpty() ? new Undefined("No first item, sequence was empty.") : items.get(0);
    }

    private static Object toFloat(Object v, Args a) {
        Object def = a.get(0, "default", 0.0);
        a.done(1);
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

    /** Python's {@code value % args} with the positional arguments; keyword arguments are ignored. */
    private static Object format(Object v, Args a) {
        return PyOperators.percentFormat(Py.str(v), new PyTuple(a.positional()));
    }

    private static Object indent(Object v, Args a) {
        Object width = a.get(0, "width", 4L);
        boolean first = a.bool(1, "first", false);
        boolean blank = a.bool(2, "blank", false);
        a.done(3);
        String ind = width instanceof String w ? w : " ".repeat((int) Py.toLong(width));
        // Jinja2's do_indent, including its quirk of appending a newline before splitting lines
        List<Object> lines = StrMethods.splitlines(Py.str(v) + "\n", false);
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

    private static Object toInt(Object v, Args a) {
        Object def = a.get(0, "default", 0L);
        Object baseArg = a.get(1, "base", 10L);
        a.done(2);
        int base = (int) Py.toLong(baseArg);
        if (Py.isIntLike(v)) {
            return Py.toLong(v);
        }
        if (v instanceof Double d) {
            return (long) d.doubleValue();
        }
        if (v instanceof String s) {
            return parseInt(s, def, base);
        }
        return def;
    }

    private static Object parseInt(String s, Object def, int base) {
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

    private static Object items(Object v, Args a) {
        a.done(0);
        if (v instanceof Undefined) {
            return new ArrayList<>();
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw new PyError("TypeError: can only get item pairs from a mapping");
        }
        return DictMethods.items(m);
    }

    private static Object join(Object v, Args a) {
        String d = Py.str(a.get(0, "d", ""));
        String attribute = a.string(1, "attribute", null);
        a.done(2);
        StringBuilder sb = new StringBuilder();
        boolean first = true;
        for (Object item : Py.iterate(v)) {
            if (!first) {
                sb.append(d);
            }
            first = false;
            sb.append(Py.str(attribute == null ? item : attributeOf(item, attribute)));
        }
        return sb.toString();
    }

    private static Object last(Object v, Args a) {
        a.done(0);
        List<Object> items = Py.iterate(v);
        return items.isEmpty() ? new Undefined("No last item, sequence was empty.") : items.get(items.size() - 1);
    }

    private static Object length(Object v, Args a) {
        a.done(0);
        return (long) Py.len(v);
    }

    private static Object list(Object v, Args a) {
        a.done(0);
        return Py.iterate(v);
    }

    private static Object lower(Object v, Args a) {
        a.done(0);
        return Py.str(v).toLowerCase(Locale.ROOT);
    }

    /** {@code map(attribute=..., default=...)}, or {@code map('filter', args...)} handing the keywords on. */
    private static Object map(Object v, Args a) {
        Map<String, Object> kwargs = a.keywords();
        List<Object> positional = a.positional();
        List<Object> out = new ArrayList<>();
        if (kwargs.containsKey("attribute")) {
            String attribute = Py.str(kwargs.get("attribute"));
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
        String filterName = Py.str(positional.get(0));
        List<Object> rest = positional.subList(1, positional.size());
        for (Object item : Py.iterate(v)) {
            out.add(apply(filterName, item, rest, kwargs));
        }
        return out;
    }

    /** The max filter ({@code max} true) or the min filter. */
    private static Object extreme(Object v, Args a, boolean max) {
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
            if (max ? c > 0 : c < 0) {
                best = item;
            }
        }
        return best;
    }

    /**
     * select / reject ({@code keep} false) and their {@code attr} forms: the items whose test, or truth when no test
     * is named, equals {@code keep}. Keyword arguments are ignored.
     */
    private static Object select(Object v, Args a, boolean byAttribute, boolean keep) {
        List<Object> positional = a.positional();
        int i = 0;
        String attribute = byAttribute ? Py.str(positional.get(i++)) : null;
        String testName = positional.size() > i ? Py.str(positional.get(i++)) : null;
        List<Object> testArgs = positional.subList(Math.min(i, positional.size()), positional.size());
        List<Object> out = new ArrayList<>();
        for (Object item : Py.iterate(v)) {
            Object x = byAttribute ? attributeOf(item, attribute) : item;
            boolean ok = testName == null ? Py.truthy(x) : Tests.test(testName, x, testArgs);
            if (ok == keep) {
                out.add(item);
            }
        }
        return out;
    }

    private static Object replace(Object v, Args a) {
        String old = Py.str(a.required(0, "old"));
        String rep = Py.str(a.required(1, "new"));
        Object count = a.get(2, "count", null);
        a.done(3);
        return StrMethods.replace(Py.str(v), old, rep, count == null ? -1 : Py.toLong(count));
    }

    private static Object reverse(Object v, Args a) {
        a.done(0);
        if (v instanceof String s) {
            return Py.slice(s, null, null, -1L);
        }
        List<Object> items = Py.iterate(v);
        Collections.reverse(items);
        return items;
    }

    private static Object round(Object v, Args a) {
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

    private static Object safe(Object v, Args a) {
        a.done(0);
        return v;
    }

    private static Object sort(Object v, Args a) {
        boolean reverse = a.bool(0, "reverse", false);
        boolean caseSensitive = a.bool(1, "case_sensitive", false);
        String attribute = a.string(2, "attribute", null);
        a.done(3);
        List<Object> items = Py.iterate(v);
        Comparator<Object> cmp = sortKey(caseSensitive, attribute);
        items.sort(reverse ? cmp.reversed() : cmp);
        return items;
    }

    private static Object string(Object v, Args a) {
        a.done(0);
        return Py.str(v);
    }

    private static Object sum(Object v, Args a) {
        String attribute = a.string(0, "attribute", null);
        Object start = a.get(1, "start", 0L);
        a.done(2);
        Object total = start;
        for (Object item : Py.iterate(v)) {
            total = PyOperators.binary("+", total, attribute == null ? item : attributeOf(item, attribute));
        }
        return total;
    }

    /** Jinja2's do_title: capitalizes after runs of spaces, dashes and opening brackets (not Python's str.title). */
    private static Object title(Object v, Args a) {
        a.done(0);
        String s = Py.str(v);
        Matcher m = JINJA_WORD_BEGINNING.matcher(s);
        int last = 0;
        List<String> parts = new ArrayList<>();
        while (m.find()) {
            parts.add(s.substring(last, m.start()));
            parts.add(m.group());
            last = m.end();
        }
        parts.add(s.substring(last));
        StringBuilder sb = new StringBuilder();
        for (String item : parts) {
            if (!item.isEmpty()) {
                int first = item.codePointAt(0);
                sb.append(new String(Character.toChars(first)).toUpperCase(Locale.ROOT))
                        .append(item.substring(Character.charCount(first)).toLowerCase(Locale.ROOT));
            }
        }
        return sb.toString();
    }

    private static Object tojson(Object v, Args a) {
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
            itemSep = Py.str(seps.get(0));
            keySep = Py.str(seps.get(1));
        }
        if (v instanceof Undefined u) {
            throw new PyError("TypeError: Object of type Undefined is not JSON serializable (" + u.hint + ")");
        }
        return PyJson.dumps(v, indentStr, itemSep, keySep, sortKeys, ensureAscii);
    }

    private static Object trim(Object v, Args a) {
        String chars = a.string(0, "chars", null);
        a.done(1);
        return StrMethods.strip(Py.str(v), chars, true, true);
    }

    private static Object truncate(Object v, Args a) {
        long length = Py.toLong(a.get(0, "length", 255L));
        boolean killwords = a.bool(1, "killwords", false);
        String end = a.string(2, "end", "...");
        long leeway = Py.toLong(a.get(3, "leeway", 5L));
        a.done(4);
        String s = Py.str(v);
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

    private static Object unique(Object v, Args a) {
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

    private static Object upper(Object v, Args a) {
        a.done(0);
        return Py.str(v).toUpperCase(Locale.ROOT);
    }

    private static Object wordcount(Object v, Args a) {
        a.done(0);
        Matcher m = WORD.matcher(Py.str(v));
        long n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
