package dev.sparktune.preprocess.template.jinja;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The global functions of transformers' chat-template environment: Jinja2's {@code range}, {@code dict} and
 * {@code namespace}, and the {@code raise_exception} and {@code strftime_now} that transformers adds.
 */
final class Globals {
    private Globals() {}

    /** A fresh set for one render: its {@code strftime_now} reads the clock once, so all its calls agree. */
    static Map<String, PyCallable> forRender() {
        return Map.of(
                "dict", Globals::dict,
                "namespace", Globals::namespace,
                "raise_exception", Globals::raiseException,
                "range", Globals::range,
                "strftime_now", new StrftimeNow());
    }

    private static Object dict(List<Object> args, Map<String, Object> kwargs) {
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

    private static Object namespace(List<Object> args, Map<String, Object> kwargs) {
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

    private static Object raiseException(List<Object> args, Map<String, Object> kwargs) {
        throw new TemplateRaisedError(args.isEmpty() ? "" : Py.str(args.get(0)));
    }

    private static Object range(List<Object> args, Map<String, Object> kwargs) {
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

    /** {@code strftime_now(format)}: the clock is read at the first call of the render. */
    private static final class StrftimeNow implements PyCallable {
        private LocalDateTime now;

        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs) {
            if (now == null) {
                now = LocalDateTime.now();
            }
            return strftime(now, args.isEmpty() ? "" : Py.str(args.get(0)));
        }
    }

    /** Python's {@code datetime.now().strftime(fmt)} for the common directives. */
    private static String strftime(LocalDateTime now, String fmt) {
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
}
