package dev.sparktune.preprocess.template.jinja;

import static java.util.Map.entry;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntBinaryOperator;
import java.util.function.IntPredicate;

/** The Python str methods chat templates call ({@code content.split('</think>')}, {@code s.strip()}, ...). */
final class StrMethods {
    static final Map<String, PyMethods.PyMethod<String>> METHODS = Map.ofEntries(
            entry("capitalize", noArgs(StrMethods::capitalize)),
            entry("casefold", noArgs(s -> s.toLowerCase(Locale.ROOT))),
            entry("center", (s, a) -> justify(s, a, StrMethods::centerPad)),
            entry("count", StrMethods::count),
            entry("endswith", (s, a) -> affix(s, a, false)),
            entry("find", (s, a) -> find(s, a, "find")),
            entry("format", StrMethods::format),
            entry("index", (s, a) -> find(s, a, "index")),
            entry("isalnum", noArgs(s -> all(s, Character::isLetterOrDigit))),
            entry("isalpha", noArgs(s -> all(s, Character::isLetter))),
            // isdecimal, isdigit and isnumeric: Java has one digit class for Python's three
            entry("isdecimal", noArgs(s -> all(s, Character::isDigit))),
            entry("isdigit", noArgs(s -> all(s, Character::isDigit))),
            entry("islower", noArgs(s -> isCased(s, false))),
            entry("isnumeric", noArgs(s -> all(s, Character::isDigit))),
            entry("isspace", noArgs(s -> all(s, StrMethods::isPyWhitespace))),
            entry("isupper", noArgs(s -> isCased(s, true))),
            entry("join", StrMethods::join),
            entry("ljust", (s, a) -> justify(s, a, (total, width) -> 0)),
            entry("lower", noArgs(s -> s.toLowerCase(Locale.ROOT))),
            entry("lstrip", (s, a) -> strip(s, chars(a), true, false)),
            entry("partition", (s, a) -> partition(s, a, false)),
            entry("removeprefix", StrMethods::removeprefix),
            entry("removesuffix", StrMethods::removesuffix),
            entry("replace", StrMethods::replace),
            entry("rfind", (s, a) -> find(s, a, "rfind")),
            entry("rindex", (s, a) -> find(s, a, "rindex")),
            entry("rjust", (s, a) -> justify(s, a, (total, width) -> total)),
            entry("rpartition", (s, a) -> partition(s, a, true)),
            entry("rsplit", (s, a) -> split(s, a, true)),
            entry("rstrip", (s, a) -> strip(s, chars(a), false, true)),
            entry("split", (s, a) -> split(s, a, false)),
            entry("splitlines", StrMethods::splitlines),
            entry("startswith", (s, a) -> affix(s, a, true)),
            entry("strip", (s, a) -> strip(s, chars(a), true, true)),
            entry("swapcase", noArgs(StrMethods::swapcase)),
            entry("title", noArgs(StrMethods::title)),
            entry("upper", noArgs(s -> s.toUpperCase(Locale.ROOT))),
            entry("zfill", StrMethods::zfill));

    private StrMethods() {}

    /** A method without parameters, like {@code s.upper()}. */
    private static PyMethods.PyMethod<String> noArgs(Function<String, Object> method) {
        return (s, a) -> {
            a.done(0);
            return method.apply(s);
        };
    }

    /** The {@code isalpha}-style tests: true for a non-empty string whose every code point passes. */
    private static boolean all(String s, IntPredicate test) {
        return !s.isEmpty() && s.codePoints().allMatch(test);
    }

    /** isupper ({@code upper} true) and islower: some cased char, and none of the other case. */
    private static boolean isCased(String s, boolean upper) {
        boolean cased = false;
        for (int cp : Py.codePoints(s)) {
            if (Character.isUpperCase(cp) || Character.isLowerCase(cp)) {
                cased = true;
                if (upper ? Character.isLowerCase(cp) : Character.isUpperCase(cp)) {
                    return false;
                }
            }
        }
        return cased;
    }

    private static String swapcase(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints()
                .forEach(cp -> sb.appendCodePoint(
                        Character.isUpperCase(cp) ? Character.toLowerCase(cp) : Character.toUpperCase(cp)));
        return sb.toString();
    }

    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = s.codePointAt(0);
        return new String(Character.toChars(Character.toTitleCase(first))).toUpperCase(Locale.ROOT)
                + s.substring(Character.charCount(first)).toLowerCase(Locale.ROOT);
    }

    /** Python's str.title(): a cased char after an uncased one starts a word. */
    private static String title(String s) {
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

    private static boolean isPyWhitespace(int cp) {
        return Character.isWhitespace(cp) || cp == 0x85 || cp == 0xa0 || cp == 0x2007 || cp == 0x202f;
    }

    /** Binds {@code (chars=None)}, the signature of strip, lstrip and rstrip. */
    private static String chars(Args a) {
        String chars = a.string(0, "chars", null);
        a.done(1);
        return chars;
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

    /** split ({@code fromRight} false) and rsplit: binds {@code (sep=None, maxsplit=-1)}. */
    private static List<Object> split(String s, Args a, boolean fromRight) {
        String sep = a.string(0, "sep", null);
        long max = maxsplit(a);
        a.done(2);
        return fromRight ? rsplit(s, sep, max) : split(s, sep, max);
    }

    private static long maxsplit(Args a) {
        Object v = a.get(1, "maxsplit", -1L);
        if (!Py.isIntLike(v)) {
            throw new PyError("TypeError: maxsplit must be an integer");
        }
        return Py.toLong(v);
    }

    private static List<Object> split(String s, String sep, long maxsplit) {
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

    private static List<Object> rsplit(String s, String sep, long maxsplit) {
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

    /** startswith ({@code start} true) and endswith: binds {@code (prefix, start=None, end=None)}. */
    private static boolean affix(String s, Args a, boolean start) {
        Object fix = a.required(0, "prefix");
        boolean r = hasAffix(s, fix, a, start);
        a.done(3);
        return r;
    }

    private static boolean hasAffix(String s, Object fix, Args a, boolean start) {
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

    private static Object replace(String s, Args a) {
        String old = a.string(0, "old", null);
        String rep = a.string(1, "new", null);
        long count = Py.toLong(a.get(2, "count", -1L));
        a.done(3);
        if (old == null || rep == null) {
            throw new PyError("TypeError: replace() takes at least 2 arguments");
        }
        return replace(s, old, rep, count);
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

    /** find, rfind, index and rindex, told apart by {@code name}: index raises where find gives -1. */
    private static long find(String s, Args a, String name) {
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

    /** Python index (code points) of the UTF-16 index {@code i} in {@code s}. */
    private static long cpIndex(String s, int i) {
        return i < 0 ? -1 : s.codePointCount(0, i);
    }

    private static long count(String s, Args a) {
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

    private static List<Object> splitlines(String s, Args a) {
        boolean keep = a.bool(0, "keepends", false);
        a.done(1);
        return splitlines(s, keep);
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
            } else if (c == '\n'
                    || c == '\r'
                    || c == '\u000b'
                    || c == '\f'
                    || c == '\u001c'
                    || c == '\u001d'
                    || c == '\u001e'
                    || c == '\u0085'
                    || c == '\u2028'
                    || c == '\u2029') {
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

    private static String join(String s, Args a) {
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

    private static String zfill(String s, Args a) {
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

    /** center, ljust and rjust: binds {@code (width, fillchar=' ')}. */
    private static String justify(String s, Args a, IntBinaryOperator leftPad) {
        long width = Py.toLong(a.required(0, "width"));
        String fill = a.string(1, "fillchar", " ");
        a.done(2);
        return justify(s, width, fill, leftPad);
    }

    /** Pads {@code s} to {@code width} with {@code fill}; {@code leftPad(total, width)} of the padding goes left. */
    static String justify(String s, long width, String fill, IntBinaryOperator leftPad) {
        int n = Py.len(s);
        if (n >= width) {
            return s;
        }
        int total = (int) (width - n);
        int left = leftPad.applyAsInt(total, (int) width);
        return fill.repeat(left) + s + fill.repeat(total - left);
    }

    /** CPython's str.center: the odd padding char goes left only when the width is odd too. */
    static int centerPad(int total, int width) {
        return total / 2 + (total & width & 1);
    }

    private static String removeprefix(String s, Args a) {
        String pre = a.string(0, "prefix", "");
        a.done(1);
        return s.startsWith(pre) ? s.substring(pre.length()) : s;
    }

    private static String removesuffix(String s, Args a) {
        String suf = a.string(0, "suffix", "");
        a.done(1);
        return !suf.isEmpty() && s.endsWith(suf) ? s.substring(0, s.length() - suf.length()) : s;
    }

    /** partition ({@code fromRight} false) and rpartition. */
    private static PyTuple partition(String s, Args a, boolean fromRight) {
        String sep = a.string(0, "sep", null);
        a.done(1);
        int k = fromRight ? s.lastIndexOf(sep) : s.indexOf(sep);
        if (k < 0) {
            return fromRight ? new PyTuple("", "", s) : new PyTuple(s, "", "");
        }
        return new PyTuple(s.substring(0, k), sep, s.substring(k + sep.length()));
    }
}
