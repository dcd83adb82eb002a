package dev.sparktune.preprocess.template.jinja;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparktune.preprocess.template.TextSpan;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A parsed Jinja2 template, rendered as transformers' chat-template environment does
 * ({@code ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)} with loop controls, the
 * {@code {% generation %}} tag, {@code raise_exception}, {@code strftime_now} and the {@code json.dumps} tojson).
 *
 * <p>Immutable and thread-safe: every render runs its own interpreter over the shared AST.
 *
 * <p>Context values use the value model of this package: {@code null}, {@link Boolean}, {@link Long} or
 * {@link Integer}, {@link Double}, {@link String}, {@link List} and {@link Map} (insertion ordered), nested freely.
 */
public final class JinjaTemplate implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final List<Node.Stmt> body;
    private final boolean hasGeneration;

    private JinjaTemplate(String name, List<Node.Stmt> body, boolean hasGeneration) {
        this.name = name;
        this.body = body;
        this.hasGeneration = hasGeneration;
    }

    /**
     * Parses a template.
     *
     * @param name used in error messages
     * @throws JinjaError for a syntax error (with line and column)
     */
    public static JinjaTemplate parse(String name, String source) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        List<Node.Stmt> body = JinjaParser.parse(name, source);
        return new JinjaTemplate(name, List.copyOf(body), containsGeneration(body));
    }

    private static boolean containsGeneration(List<? extends Node.Stmt> body) {
        for (Node.Stmt s : body) {
            if (s instanceof Node.Generation) {
                return true;
            }
            boolean nested = false;
            if (s instanceof Node.If f) {
                nested = f.branches().stream().anyMatch(b -> containsGeneration(b.body()))
                        || containsGeneration(f.orElse());
            } else if (s instanceof Node.For f) {
                nested = containsGeneration(f.body()) || containsGeneration(f.orElse());
            } else if (s instanceof Node.Macro m) {
                nested = containsGeneration(m.body());
            } else if (s instanceof Node.CallBlock c) {
                nested = containsGeneration(c.body());
            } else if (s instanceof Node.FilterBlock f) {
                nested = containsGeneration(f.body());
            } else if (s instanceof Node.SetBlock b) {
                nested = containsGeneration(b.body());
            }
            if (nested) {
                return true;
            }
        }
        return false;
    }

    public String name() {
        return name;
    }

    /** Whether the template marks assistant text with {@code {% generation %}} blocks. */
    public boolean hasGenerationBlocks() {
        return hasGeneration;
    }

    /**
     * Renders with the given variables.
     *
     * @throws TemplateRaisedError if the template calls {@code raise_exception}
     * @throws JinjaError for any other failure, naming line, column and construct
     */
    public String render(Map<String, ?> context) {
        return renderTracked(context, List.of()).text();
    }

    /**
     * Renders and records which output chars each of {@code trackedItems} produced: a char belongs to item i when it
     * was written during an iteration of a {@code for} loop whose loop item is {@code trackedItems.get(i)} (by
     * identity; the innermost such loop wins, loops over other values keep the enclosing owner).
     */
    public Rendering renderTracked(Map<String, ?> context, List<?> trackedItems) {
        return new Interpreter(name, trackedItems).run(body, context);
    }

    /**
     * One render's output.
     *
     * @param text the rendered text
     * @param owners for each UTF-16 char of {@code text}, the index of the tracked item that produced it, or -1
     * @param generationSpans the text of each executed {@code {% generation %}} block, in order
     */
    public record Rendering(String text, int[] owners, List<TextSpan> generationSpans) {
        public Rendering {
            Objects.requireNonNull(text, "text");
            if (owners.length != text.length()) {
                throw new IllegalArgumentException("owners must have one entry per char");
            }
            generationSpans = List.copyOf(generationSpans);
        }
    }

    /**
     * Python's {@code json.dumps(value, ensure_ascii=False)} of a value in the model {@link #valueOf} gives: what
     * LLaMA-Factory's tool formatters write.
     */
    public static String pythonJsonDumps(Object value) {
        return PyJson.dumps(value, null, null, null, false, false);
    }

    /** {@code json.dumps(value, indent=indent, ensure_ascii=False)}: one item per line, "," between items. */
    public static String pythonJsonDumps(Object value, int indent) {
        return PyJson.dumps(value, " ".repeat(indent), null, null, false, false);
    }

    /** Python's {@code str(value)} of such a value: what {@code str.format} writes (a list as its repr). */
    public static String pythonStr(Object value) {
        return Py.str(value);
    }

    /** Python's truth value of such a value: false for None, False, 0, 0.0, and empty strings, lists and dicts. */
    public static boolean pythonTruthy(Object value) {
        return Py.truthy(value);
    }

    /** A JSON value as templates see it: the types Python's json.loads gives (see the value model in Py). */
    public static Object valueOf(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? (Object) node.longValue() : (Object) node.doubleValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isArray()) {
            List<Object> out = new ArrayList<>();
            node.forEach(n -> out.add(valueOf(n)));
            return out;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            out.put(f.getKey(), valueOf(f.getValue()));
        }
        return out;
    }
}
