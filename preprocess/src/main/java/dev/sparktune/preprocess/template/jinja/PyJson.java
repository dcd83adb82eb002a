package dev.sparktune.preprocess.template.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=.., separators=.., sort_keys=..)}, the {@code tojson}
 * filter transformers installs (it replaces Jinja's HTML-escaping one).
 */
final class PyJson {
    private PyJson() {}

    /**
     * @param indent null for single-line output, else the indent string per level
     * @param itemSeparator null for the default: ", " single-line, "," indented
     * @param keySeparator null for the default ": "
     */
    static String dumps(
            Object value,
            String indent,
            String itemSeparator,
            String keySeparator,
            boolean sortKeys,
            boolean ensureAscii) {
        String items = itemSeparator != null ? itemSeparator : (indent == null ? ", " : ",");
        String keys = keySeparator != null ? keySeparator : ": ";
        StringBuilder sb = new StringBuilder();
        write(sb, value, indent, items, keys, sortKeys, ensureAscii, 0);
        return sb.toString();
    }

    private static void newline(StringBuilder sb, String indent, int level) {
        sb.append('\n');
        for (int i = 0; i < level; i++) {
            sb.append(indent);
        }
    }

    private static void write(
            StringBuilder sb,
            Object v,
            String indent,
            String items,
            String keys,
            boolean sortKeys,
            boolean ensureAscii,
            int level) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (Py.isInt(v)) {
            sb.append(Py.toLong(v));
        } else if (v instanceof Double d) {
            if (d.isNaN()) {
                sb.append("NaN");
            } else if (d.isInfinite()) {
                sb.append(d > 0 ? "Infinity" : "-Infinity");
            } else {
                sb.append(Py.floatRepr(d));
            }
        } else if (v instanceof String s) {
            writeString(sb, s, ensureAscii);
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(items);
                }
                if (indent != null) {
                    newline(sb, indent, level + 1);
                }
                write(sb, l.get(i), indent, items, keys, sortKeys, ensureAscii, level + 1);
            }
            if (indent != null) {
                newline(sb, indent, level);
            }
            sb.append(']');
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
            if (sortKeys) {
                entries.sort((a, b) -> Py.compare(a.getKey(), b.getKey(), "<"));
            }
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                if (!first) {
                    sb.append(items);
                }
                first = false;
                if (indent != null) {
                    newline(sb, indent, level + 1);
                }
                Object k = e.getKey();
                String key;
                if (k instanceof String s) {
                    key = s;
                } else if (k == null) {
                    key = "null";
                } else if (k instanceof Boolean b) {
                    key = b ? "true" : "false";
                } else if (Py.isNumber(k)) {
                    key = Py.repr(k);
                } else {
                    throw new PyError("TypeError: keys must be str, int, float, bool or None, not " + Py.typeName(k));
                }
                writeString(sb, key, ensureAscii);
                sb.append(keys);
                write(sb, e.getValue(), indent, items, keys, sortKeys, ensureAscii, level + 1);
            }
            if (indent != null) {
                newline(sb, indent, level);
            }
            sb.append('}');
        } else {
            throw new PyError("TypeError: Object of type " + Py.typeName(v) + " is not JSON serializable");
        }
    }

    static void writeString(StringBuilder sb, String s, boolean ensureAscii) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7f)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
