package dev.sparktune.preprocess.template.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The str, dict and list methods chat templates call ({@code content.split('</think>')}, {@code d.items()}, ...). */
final class PyMethods {
    static final Set<String> STR_METHODS = Set.of("strip", "lstrip", "rstrip", "split", "rsplit", "startswith",
            "endswith", "replace", "upper", "lower", "title", "capitalize", "find", "rfind", "index", "rindex", "count",
            "splitlines", "format", "join", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower",
            "isnumeric", "isdecimal", "swapcase", "casefold", "zfill", "removeprefix", "removesuffix", "partition",
            "rpartition", "center", "ljust", "rjust");
    static final Set<String> DICT_METHODS = Set.of("get", "keys", "values", "items", "copy");
    static final Set<String> LIST_METHODS = Set.of("index", "count", "copy");
    /** Mutating methods the immutable sandbox refuses. */
    static final Set<String> UNSAFE_METHODS = Set.of("append", "extend", "insert", "pop", "remove", "clear", "sort",
            "reverse", "update", "setdefault", "popitem");

    private PyMethods() {
    }

    /** A method bound to its receiver, as {@code getattr(obj, name)} gives. */
    record BoundMethod(Object receiver, String name) implements PyCallable {
        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs) {
            return PyMethods.call(receiver, name, new Args(name, args, kwargs));
        }

        @Override
        public String toString() {
            return "<built-in method " + name + " of " + Py.typeName(receiver) + " object>";
        }
    }

    static Object call(Object receiver, String name, Args a) {
        if (receiver instanceof String s) {
            return callStr(s, name, a);
        }
        if (receiver instanceof Map<?, ?> m) {
            switch (name) {
                case "get" -> {
                    Object key = a.required(0, "key");
                    Object def = a.get(1, "default", null);
                    a.done(2);
                    Object v = Builtins.mapGet(m, key);
                    return v == Builtins.MISSING ? def : v;
                }
                case "keys" -> {
                    a.done(0);
                    return new ArrayList<Object>(m.keySet());
                }
                case "values" -> {
                    a.done(0);
                    return new ArrayList<Object>(m.values());
                }
                case "items" -> {
                    a.done(0);
                    List<Object> out = new ArrayList<>();
                    m.forEach((k, v) -> out.add(new PyTuple(k, v)));
                    return out;
                }
                case "copy" -> {
                    a.done(0);
                    return new java.util.LinkedHashMap<Object, Object>(m);
                }
                default -> { }
            }
        }
        if (receiver instanceof List<?> l) {
            switch (name) {
                case "index" -> {
                    Object x = a.required(0, "value");
                    a.done(1);
                    for (int i = 0; i < l.size(); i++) {
                        if (Py.eq(l.get(i), x)) {
                            return (long) i;
                        }
                    }
                    throw new PyError("ValueError: " + Py.repr(x) + " is not in list");
                }
                case "count" -> {
                    Object x = a.required(0, "value");
                    a.done(1);
                    return l.stream().filter(o -> Py.eq(o, x)).count();
                }
                case "copy" -> {
                    a.done(0);
                    return new ArrayList<Object>(l);
                }
                default -> { }
            }
        }
        if (UNSAFE_METHODS.contains(name)) {
            throw new PyError("SecurityError: access to the mutating method '" + name + "' of a "
                    + Py.typeName(receiver) + " is refused by the immutable sandbox");
        }
        throw new PyError("AttributeError: '" + Py.typeName(receiver) + "' object has no attribute '" + name + "'");
    }

    static boolean isPyWhitespace(int cp) {
        return Character.isWhitespace(cp) || cp == 0x85 || cp == 0xa0 || cp == 0x2007 || cp == 0x202f;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int[] cps = Py.codePoints(s);
        int[] set = chars == null ? null : Py.codePoints(chars);
        int from = 0;
        int to = cps.length;
        if (left) {
            while (from < to && stripped(cps[from], set)) {
                from++;
            }
        }
        if (right) {
            while (to > from && stripped(cps[to - 1], set)) {
                to--;
            }
        }
        return Py.fromCodePoints(cps, from, to);
    }

    private static boolean stripped(int cp, int[] set) {
        if (set == null) {
            return isPyWhitespace(cp);
        }
        for (int c : set) {
            if (c == cp) {
                return true;
            }
        }
        return false;
    }

    static List<Object> split(String s, String sep, long maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int[] cps = Py.codePoints(s);
            int i = 0;
            while (true) {
                while (i < cps.length && isPyWhitespace(cps[i])) {
                    i++;
                }
                if (i >= cps.length) {
                    break;
                }
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    int end = cps.length;
                    while (end > i && isPyWhitespace(cps[end - 1])) {
                        end--;
                    }
                    out.add(Py.fromCodePoints(cps, i, end));
                    break;
                }
                int j = i;
                while (j < cps.length && !isPyWhitespace(cps[j])) {
                    j++;
                }
                out.add(Py.fromCodePoints(cps, i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new PyError("ValueError: empty separator");
        }
        int from = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int k = s.indexOf(sep, from);
            if (k < 0) {
                break;
            }
            out.add(s.substring(from, k));
            from = k + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    static List<Object> rsplit(String s, String sep, long maxsplit) {
        if (sep == null || maxsplit < 0) {
            if (sep == null && maxsplit >= 0) {
                // whitespace rsplit with a limit: split from the right
                List<Object> all = split(s, null, -1);
                if (all.size() <= maxsplit + 1) {
                    return all;
                }
                String stripped = strip(s, null, false, true);
                List<Object> out = new ArrayList<>();
                int end = stripped.length();
                for (int n = 0; n < maxsplit; n++) {
                    int k = end;
                    while (k > 0 && !isPyWhitespace(stripped.charAt(k - 1))) {
                        k--;
                    }
                    out.add(0, stripped.substring(k, end));
                    while (k > 0 && isPyWhitespace(stripped.charAt(k - 1))) {
                        k--;
                    }
                    end = k;
                }
                out.add(0, stripped.substring(0, end));
                return out;
            }
            return split(s, sep, -1);
        }
        if (sep.isEmpty()) {
            throw new PyError("ValueError: empty separator");
        }
        List<Object> out = new ArrayList<>();
        int end = s.length();
        while (out.size() < maxsplit) {
            int k = s.lastIndexOf(sep, end - sep.length());
            if (k < 0 || end - sep.length() < 0) {
                break;
            }
            out.add(0, s.substring(k + sep.length(), end));
            end = k;
        }
        out.add(0, s.substring(0, end));
        return out;
    }

    private static long maxsplit(Args a) {
        Object v = a.get(1, "maxsplit", -1L);
        if (!Py.isIntLike(v)) {
            throw new PyError("TypeError: maxsplit must be an integer");
        }
        return Py.toLong(v);
    }

    /** Python index (code points) of the UTF-16 index {@code i} in {@code s}. */
    private static long cpIndex(String s, int i) {
        return i < 0 ? -1 : s.codePointCount(0, i);
    }

    private static boolean affix(String s, Object fix, Args a, boolean start) {
        List<Object> options = fix instanceof PyTuple t ? t : List.of(fix);
        Object st = a.get(1, "start", null);
        Object en = a.get(2, "end", null);
        String sub = (st != null || en != null) ? (String) Py.slice(s, st, en, null) : s;
        for (Object o : options) {
            if (!(o instanceof String f)) {
                throw new PyError("TypeError: " + (start ? "startswith" : "endswith")
                        + " first arg must be str or a tuple of str, not " + Py.typeName(o));
            }
            if (start ? sub.startsWith(f) : sub.endsWith(f)) {
                return true;
            }
        }
        return false;
    }

    private static Object callStr(String s, String name, Args a) {
        switch (name) {
            case "strip", "lstrip", "rstrip" -> {
                String chars = a.string(0, "chars", null);
                a.done(1);
                return strip(s, chars, !name.equals("rstrip"), !name.equals("lstrip"));
            }
            case "split", "rsplit" -> {
                String sep = a.string(0, "sep", null);
                long max = maxsplit(a);
                a.done(2);
                return name.equals("split") ? split(s, sep, max) : rsplit(s, sep, max);
            }
            case "startswith", "endswith" -> {
                Object fix = a.required(0, "prefix");
                boolean r = affix(s, fix, a, name.equals("startswith"));
                a.done(3);
                return r;
            }
            case "replace" -> {
                String old = a.string(0, "old", null);
                String rep = a.string(1, "new", null);
                long count = Py.toLong(a.get(2, "count", -1L));
                a.done(3);
                if (old == null || rep == null) {
                    throw new PyError("TypeError: replace() takes at least 2 arguments");
                }
                return replace(s, old, rep, count);
            }
            case "upper" -> {
                a.done(0);
                return s.toUpperCase(java.util.Locale.ROOT);
            }
            case "lower" -> {
                a.done(0);
                return s.toLowerCase(java.util.Locale.ROOT);
            }
            case "casefold" -> {
                a.done(0);
                return s.toLowerCase(java.util.Locale.ROOT);
            }
            case "swapcase" -> {
                a.done(0);
                StringBuilder sb = new StringBuilder();
                s.codePoints().forEach(cp -> sb.appendCodePoint(Character.isUpperCase(cp) ? Character.toLowerCase(cp)
                        : Character.toUpperCase(cp)));
                return sb.toString();
            }
            case "title" -> {
                a.done(0);
                return pyTitle(s);
            }
            case "capitalize" -> {
                a.done(0);
                return capitalize(s);
            }
            case "find", "rfind", "index", "rindex" -> {
                String sub = a.string(0, "sub", null);
                Object st = a.get(1, "start", null);
                Object en = a.get(2, "end", null);
                a.done(3);
                if (sub == null) {
                    throw new PyError("TypeError: " + name + "() takes at least 1 argument");
                }
                long offset = 0;
                String hay = s;
                if (st != null || en != null) {
                    int n = Py.len(s);
                    long from = st == null ? 0 : Py.toLong(st);
                    if (from < 0) {
                        from = Math.max(0, from + n);
                    }
                    offset = Math.min(from, n);
                    hay = (String) Py.slice(s, st, en, null);
                }
                int k = name.startsWith("r") ? hay.lastIndexOf(sub) : hay.indexOf(sub);
                if (k < 0) {
                    if (name.endsWith("index")) {
                        throw new PyError("ValueError: substring not found");
                    }
                    return -1L;
                }
                return offset + cpIndex(hay, k);
            }
            case "count" -> {
                String sub = a.string(0, "sub", null);
                a.done(1);
                if (sub.isEmpty()) {
                    return (long) Py.len(s) + 1;
                }
                long n = 0;
                int from = 0;
                while ((from = s.indexOf(sub, from)) >= 0) {
                    n++;
                    from += sub.length();
                }
                return n;
            }
            case "splitlines" -> {
                boolean keep = a.bool(0, "keepends", false);
                a.done(1);
                return splitlines(s, keep);
            }
            case "join" -> {
                Object it = a.required(0, "iterable");
                a.done(1);
                StringBuilder sb = new StringBuilder();
                List<Object> items = Py.iterate(it);
                for (int i = 0; i < items.size(); i++) {
                    if (!(items.get(i) instanceof String item)) {
                        throw new PyError("TypeError: sequence item " + i + ": expected str instance, "
                                + Py.typeName(items.get(i)) + " found");
                    }
                    if (i > 0) {
                        sb.append(s);
                    }
                    sb.append(item);
                }
                return sb.toString();
            }
            case "format" -> {
                return format(s, a);
            }
            case "isdigit", "isnumeric", "isdecimal" -> {
                a.done(0);
                return !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            }
            case "isalpha" -> {
                a.done(0);
                return !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            }
            case "isalnum" -> {
                a.done(0);
                return !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            }
            case "isspace" -> {
                a.done(0);
                return !s.isEmpty() && s.codePoints().allMatch(PyMethods::isPyWhitespace);
            }
            case "isupper", "islower" -> {
                a.done(0);
                boolean cased = false;
                for (int cp : Py.codePoints(s)) {
                    if (Character.isUpperCase(cp) || Character.isLowerCase(cp)) {
                        cased = true;
                        if (name.equals("isupper") ? Character.isLowerCase(cp) : Character.isUpperCase(cp)) {
                            return false;
                        }
                    }
                }
                return cased;
            }
            case "zfill" -> {
                long width = Py.toLong(a.required(0, "width"));
                a.done(1);
                int n = Py.len(s);
                if (n >= width) {
                    return s;
                }
                String pad = "0".repeat((int) (width - n));
                if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
                    return s.charAt(0) + pad + s.substring(1);
                }
                return pad + s;
            }
            case "center", "ljust", "rjust" -> {
                long width = Py.toLong(a.required(0, "width"));
                String fill = a.string(1, "fillchar", " ");
                a.done(2);
                int n = Py.len(s);
                if (n >= width) {
                    return s;
                }
                int total = (int) (width - n);
                int left = switch (name) {
                    case "ljust" -> 0;
                    case "rjust" -> total;
                    default -> total / 2 + (total & (int) width & 1);
                };
                return fill.repeat(left) + s + fill.repeat(total - left);
            }
            case "removeprefix" -> {
                String pre = a.string(0, "prefix", "");
                a.done(1);
                return s.startsWith(pre) ? s.substring(pre.length()) : s;
            }
            case "removesuffix" -> {
                String suf = a.string(0, "suffix", "");
                a.done(1);
                return !suf.isEmpty() && s.endsWith(suf) ? s.substring(0, s.length() - suf.length()) : s;
            }
            case "partition", "rpartition" -> {
                String sep = a.string(0, "sep", null);
                a.done(1);
                int k = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (k < 0) {
                    return name.equals("partition") ? new PyTuple(s, "", "") : new PyTuple("", "", s);
                }
                return new PyTuple(s.substring(0, k), sep, s.substring(k + sep.length()));
            }
            default -> throw new PyError("AttributeError: 'str' object has no attribute '" + name + "'");
        }
    }

    static String replace(String s, String old, String rep, long count) {
        if (count < 0) {
            if (old.isEmpty()) {
                StringBuilder sb = new StringBuilder(rep);
                s.codePoints().forEach(cp -> sb.appendCodePoint(cp).append(rep));
                return sb.toString();
            }
            return s.replace(old, rep);
        }
        StringBuilder sb = new StringBuilder();
        int from = 0;
        long done = 0;
        while (done < count) {
            int k = old.isEmpty() ? (from <= s.length() ? from : -1) : s.indexOf(old, from);
            if (k < 0) {
                break;
            }
            sb.append(s, from, k).append(rep);
            if (old.isEmpty()) {
                if (k < s.length()) {
                    int cp = s.codePointAt(k);
                    sb.appendCodePoint(cp);
                    from = k + Character.charCount(cp);
                } else {
                    from = k + 1;
                }
            } else {
                from = k + old.length();
            }
            done++;
        }
        if (from <= s.length()) {
            sb.append(s.substring(Math.min(from, s.length())));
        }
        return sb.toString();
    }

    static List<Object> splitlines(String s, boolean keepends) {
        List<Object> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            int eol = -1;
            if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                eol = 2;
            } else if (c == '\n' || c == '\r' || c == '\u000b' || c == '\f' || c == '\u001c' || c == '\u001d'
                    || c == '\u001e' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                eol = 1;
            }
            if (eol > 0) {
                out.add(s.substring(start, keepends ? i + eol : i));
                i += eol;
                start = i;
            } else {
                i++;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = s.codePointAt(0);
        return new String(Character.toChars(Character.toTitleCase(first))).toUpperCase(java.util.Locale.ROOT)
                + s.substring(Character.charCount(first)).toLowerCase(java.util.Locale.ROOT);
    }

    /** Python's str.title(): a cased char after an uncased one starts a word. */
    static String pyTitle(String s) {
        StringBuilder sb = new StringBuilder();
        boolean prevCased = false;
        for (int cp : Py.codePoints(s)) {
            boolean cased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
            if (cased) {
                sb.appendCodePoint(prevCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp));
            } else {
                sb.appendCodePoint(cp);
            }
            prevCased = cased || (Character.isLetter(cp) && prevCased);
        }
        return sb.toString();
    }

    /** {@code str.format} with {}, {0}, {name} and {{ }} escapes; format specs are not supported. */
    private static String format(String s, Args a) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{') {
                if (i + 1 < s.length() && s.charAt(i + 1) == '{') {
                    sb.append('{');
                    i++;
                    continue;
                }
                int close = s.indexOf('}', i);
                if (close < 0) {
                    throw new PyError("ValueError: Single '{' encountered in format string");
                }
                String field = s.substring(i + 1, close);
                if (field.contains(":") || field.contains("!")) {
                    throw new PyError("ValueError: format specs and conversions in str.format are not supported");
                }
                Object v;
                if (field.isEmpty()) {
                    v = a.get(auto++, "\0", null);
                } else if (field.chars().allMatch(Character::isDigit)) {
                    v = a.get(Integer.parseInt(field), "\0", null);
                } else {
                    v = a.get(-1, field, null);
                }
                sb.append(Py.str(v));
                i = close;
            } else if (c == '}') {
                if (i + 1 < s.length() && s.charAt(i + 1) == '}') {
                    i++;
                }
                sb.append('}');
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
