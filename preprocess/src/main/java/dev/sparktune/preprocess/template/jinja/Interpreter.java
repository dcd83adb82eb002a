package dev.sparktune.preprocess.template.jinja;

import dev.sparktune.preprocess.template.TemplateException;
import dev.sparktune.preprocess.template.TextSpan;
import dev.sparktune.preprocess.template.jinja.Node.Expr;
import dev.sparktune.preprocess.template.jinja.Node.Stmt;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Executes a parsed template once (one instance per render; not thread-safe, not reused).
 *
 * <p>Output tracking: each emitted char is tagged with the index of the tracked item (a message dict of the
 * {@code messages} list passed in, compared by identity) whose {@code for} iteration was running when it was
 * written, or -1. Nested loops over other values (tool calls, content parts) keep the enclosing tag. Text captured
 * by macros, call/filter blocks and block sets is tagged when it is finally written, not when captured.
 */
final class Interpreter {
    private final String templateName;
    private final IdentityHashMap<Object, Integer> tracked;
    private final Out root = new Out();
    private final List<TextSpan> generation = new ArrayList<>();
    private Out out = root;
    private int currentItem = -1;
    private int macroDepth;
    /** Python's default recursion limit is 1000 frames; a Jinja macro call takes several. */
    private static final int MAX_MACRO_DEPTH = 250;

    private enum Signal {
        NORMAL,
        BREAK,
        CONTINUE
    }

    Interpreter(String templateName, List<?> trackedItems) {
        this.templateName = templateName;
        this.tracked = new IdentityHashMap<>();
        for (int i = 0; i < trackedItems.size(); i++) {
            tracked.putIfAbsent(trackedItems.get(i), i);
        }
    }

    JinjaTemplate.Rendering run(List<Stmt> body, Map<String, ?> context) {
        Scope globals = new Scope(null);
        globals.vars.putAll(Globals.forRender());
        Scope top = new Scope(globals);
        top.vars.putAll(context);
        exec(body, top);
        return new JinjaTemplate.Rendering(root.sb.toString(), Arrays.copyOf(root.owner, root.sb.length()), generation);
    }

    // ---------------------------------------------------------------- state

    static final class Scope {
        final Map<String, Object> vars = new HashMap<>();
        final Scope parent;

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                Object v = s.vars.get(name);
                if (v != null || s.vars.containsKey(name)) {
                    return v;
                }
            }
            return PyOperators.MISSING;
        }
    }

    private static final class Out {
        final StringBuilder sb = new StringBuilder();
        int[] owner = new int[256];

        void append(String s, int item) {
            int start = sb.length();
            sb.append(s);
            if (sb.length() > owner.length) {
                owner = Arrays.copyOf(owner, Math.max(sb.length(), owner.length * 2));
            }
            Arrays.fill(owner, start, sb.length(), item);
        }
    }

    /** The {@code loop} variable of a for loop. */
    static final class LoopInfo {
        private final List<Object> items;
        private final int depth;
        private int index0;

        LoopInfo(List<Object> items, int depth) {
            this.items = items;
            this.depth = depth;
        }

        Object attribute(String name) {
            int n = items.size();
            return switch (name) {
                case "index" -> (long) index0 + 1;
                case "index0" -> (long) index0;
                case "revindex" -> (long) (n - index0);
                case "revindex0" -> (long) (n - index0 - 1);
                case "first" -> index0 == 0;
                case "last" -> index0 == n - 1;
                case "length" -> (long) n;
                case "depth" -> (long) depth;
                case "depth0" -> (long) depth - 1;
                case "previtem" -> index0 > 0 ? items.get(index0 - 1) : new Undefined("there is no previous item");
                case "nextitem" -> index0 < n - 1 ? items.get(index0 + 1) : new Undefined("there is no next item");
                case "cycle" ->
                    (PyCallable) (args, kwargs) -> {
                        if (args.isEmpty()) {
                            throw new PyError("TypeError: no items for cycling given");
                        }
                        return args.get(index0 % args.size());
                    };
                default -> new Undefined("'LoopContext' has no attribute '" + name + "'");
            };
        }
    }

    private final class MacroValue implements PyCallable {
        private final String name;
        private final List<Node.Param> params;
        private final List<Stmt> body;
        private final Scope closure;

        MacroValue(String name, List<Node.Param> params, List<Stmt> body, Scope closure) {
            this.name = name;
            this.params = params;
            this.body = body;
            this.closure = closure;
        }

        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs) {
            Scope scope = new Scope(closure);
            Map<String, Object> extra = new LinkedHashMap<>(kwargs);
            for (int i = 0; i < params.size(); i++) {
                Node.Param p = params.get(i);
                Object v;
                if (i < args.size()) {
                    v = args.get(i);
                } else if (extra.containsKey(p.name())) {
                    v = extra.remove(p.name());
                } else if (p.defaultValue() != null) {
                    v = eval(p.defaultValue(), scope);
                } else {
                    v = new Undefined("parameter '" + p.name() + "' of macro '" + name + "' was not provided");
                }
                scope.vars.put(p.name(), v);
            }
            scope.vars.put(
                    "varargs",
                    args.size() > params.size()
                            ? new PyTuple(args.subList(params.size(), args.size()))
                            : new PyTuple());
            if (extra.containsKey("caller")) {
                scope.vars.put("caller", extra.remove("caller"));
            }
            scope.vars.put("kwargs", new LinkedHashMap<Object, Object>(extra));
            if (++macroDepth > MAX_MACRO_DEPTH) {
                macroDepth = 0;
                throw new PyError("RecursionError: macro '" + name + "' nested deeper than " + MAX_MACRO_DEPTH);
            }
            try {
                return capture(body, scope);
            } finally {
                macroDepth = Math.max(0, macroDepth - 1);
            }
        }

        @Override
        public String toString() {
            return "<Macro '" + name + "'>";
        }
    }

    // ---------------------------------------------------------------- errors

    private JinjaError wrap(Node node, RuntimeException e) {
        String message = e instanceof PyError ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage();
        return new JinjaError(templateName, node.pos(), "in " + describe(node) + ": " + message);
    }

    private static String describe(Node node) {
        if (node instanceof Expr.Filter f) {
            return "filter '" + f.name() + "'";
        }
        if (node instanceof Expr.Test t) {
            return "test '" + t.name() + "'";
        }
        if (node instanceof Expr.Call c) {
            if (c.function() instanceof Expr.GetAttr g) {
                return "call of '." + g.name() + "()'";
            }
            if (c.function() instanceof Expr.Name n) {
                return "call of '" + n.name() + "()'";
            }
            return "call";
        }
        if (node instanceof Expr.GetAttr g) {
            return "attribute '." + g.name() + "'";
        }
        if (node instanceof Expr.GetItem) {
            return "subscript '[...]'";
        }
        if (node instanceof Expr.Binary b) {
            return "operator '" + b.op() + "'";
        }
        if (node instanceof Expr.Unary u) {
            return "operator '" + u.op() + "'";
        }
        if (node instanceof Expr.Compare c) {
            return "comparison '" + String.join("', '", c.ops()).replace("notin", "not in") + "'";
        }
        if (node instanceof Expr.Name n) {
            return "variable '" + n.name() + "'";
        }
        if (node instanceof Node.For) {
            return "{% for %}";
        }
        if (node instanceof Node.Set || node instanceof Node.SetBlock) {
            return "{% set %}";
        }
        if (node instanceof Node.Output) {
            return "{{ ... }}";
        }
        if (node instanceof Node.If) {
            return "{% if %}";
        }
        return node.getClass().getSimpleName();
    }

    // ---------------------------------------------------------------- statements

    private String capture(List<Stmt> body, Scope scope) {
        Out saved = out;
        out = new Out();
        try {
            exec(body, scope);
            return out.sb.toString();
        } finally {
            out = saved;
        }
    }

    private Signal exec(List<Stmt> body, Scope scope) {
        for (Stmt s : body) {
            Signal sig = execOne(s, scope);
            if (sig != Signal.NORMAL) {
                return sig;
            }
        }
        return Signal.NORMAL;
    }

    private Signal execOne(Stmt s, Scope scope) {
        try {
            if (s instanceof Node.Text t) {
                out.append(t.text(), currentItem);
            } else if (s instanceof Node.Output o) {
                out.append(Py.str(eval(o.expr(), scope)), currentItem);
            } else if (s instanceof Node.If f) {
                for (Node.Branch b : f.branches()) {
                    if (Py.truthy(eval(b.test(), scope))) {
                        return exec(b.body(), scope);
                    }
                }
                return exec(f.orElse(), scope);
            } else if (s instanceof Node.For f) {
                return execFor(f, scope);
            } else if (s instanceof Node.Set st) {
                assign(st.target(), eval(st.value(), scope), scope);
            } else if (s instanceof Node.SetBlock sb) {
                Object value = capture(sb.body(), scope);
                for (Expr.Filter filter : sb.filters()) {
                    value = applyFilter(filter, value, scope);
                }
                assign(sb.target(), value, scope);
            } else if (s instanceof Node.Macro m) {
                scope.vars.put(m.name(), new MacroValue(m.name(), m.params(), m.body(), scope));
            } else if (s instanceof Node.CallBlock cb) {
                MacroValue caller = new MacroValue("caller", cb.params(), cb.body(), scope);
                Object fn = eval(cb.call().function(), scope);
                List<Object> args = evalArgs(cb.call().args(), scope);
                Map<String, Object> kwargs = evalKwargs(cb.call().kwargs(), scope);
                kwargs.put("caller", caller);
                out.append(Py.str(callValue(cb.call(), fn, args, kwargs)), currentItem);
            } else if (s instanceof Node.FilterBlock fb) {
                Object value = capture(fb.body(), scope);
                for (Expr.Filter filter : fb.filters()) {
                    value = applyFilter(filter, value, scope);
                }
                out.append(Py.str(value), currentItem);
            } else if (s instanceof Node.Break) {
                return Signal.BREAK;
            } else if (s instanceof Node.Continue) {
                return Signal.CONTINUE;
            } else if (s instanceof Node.Generation g) {
                if (out != root) {
                    throw new JinjaError(
                            templateName,
                            g.pos(),
                            "{% generation %} inside a macro, call, filter or set block is not supported");
                }
                int start = root.sb.length();
                Signal sig = exec(g.body(), scope);
                generation.add(new TextSpan(start, root.sb.length()));
                return sig;
            } else {
                throw new JinjaError(templateName, s.pos(), "unsupported statement " + describe(s));
            }
            return Signal.NORMAL;
        } catch (TemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw wrap(s, e);
        }
    }

    private Signal execFor(Node.For f, Scope scope) {
        Object iterable = eval(f.iter(), scope);
        if (iterable == null) {
            throw new PyError("TypeError: 'NoneType' object is not iterable");
        }
        List<Object> items = Py.iterate(iterable);
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                Scope probe = new Scope(scope);
                assign(f.target(), item, probe);
                if (Py.truthy(eval(f.filter(), probe))) {
                    kept.add(item);
                }
            }
            items = kept;
        }
        if (items.isEmpty()) {
            return exec(f.orElse(), scope);
        }
        Object outer = scope.lookup("loop");
        int depth = outer instanceof LoopInfo li ? li.depth + 1 : 1;
        LoopInfo loop = new LoopInfo(items, depth);
        int savedItem = currentItem;
        try {
            for (int i = 0; i < items.size(); i++) {
                Object item = items.get(i);
                loop.index0 = i;
                Scope iteration = new Scope(scope);
                assign(f.target(), item, iteration);
                iteration.vars.put("loop", loop);
                Integer trackedIndex = item == null ? null : tracked.get(item);
                currentItem = trackedIndex != null ? trackedIndex : savedItem;
                Signal sig = exec(f.body(), iteration);
                if (sig == Signal.BREAK) {
                    break;
                }
            }
        } finally {
            currentItem = savedItem;
        }
        return Signal.NORMAL;
    }

    private void assign(Node.Target target, Object value, Scope scope) {
        if (target instanceof Node.NameTarget n) {
            scope.vars.put(n.name(), value);
        } else if (target instanceof Node.AttrTarget a) {
            Object obj = scope.lookup(a.object());
            if (!(obj instanceof Namespace ns)) {
                throw new PyError(
                        "TemplateRuntimeError: cannot assign attribute on non-namespace object '" + a.object() + "'");
            }
            ns.attributes.put(a.attr(), value);
        } else if (target instanceof Node.TupleTarget t) {
            List<Object> values = Py.iterate(value);
            if (values.size() != t.items().size()) {
                throw new PyError("ValueError: cannot unpack " + values.size() + " values into "
                        + t.items().size() + " names");
            }
            for (int i = 0; i < values.size(); i++) {
                assign(t.items().get(i), values.get(i), scope);
            }
        }
    }

    // ---------------------------------------------------------------- expressions

    private List<Object> evalArgs(List<Expr> args, Scope scope) {
        List<Object> out = new ArrayList<>(args.size());
        for (Expr e : args) {
            out.add(eval(e, scope));
        }
        return out;
    }

    private Map<String, Object> evalKwargs(List<Expr.Kwarg> kwargs, Scope scope) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Expr.Kwarg k : kwargs) {
            out.put(k.name(), eval(k.value(), scope));
        }
        return out;
    }

    private Object applyFilter(Expr.Filter f, Object value, Scope scope) {
        try {
            return Filters.apply(f.name(), value, evalArgs(f.args(), scope), evalKwargs(f.kwargs(), scope));
        } catch (TemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw wrap(f, e);
        }
    }

    private Object callValue(Expr.Call node, Object fn, List<Object> args, Map<String, Object> kwargs) {
        if (fn instanceof Undefined u) {
            throw Py.undefinedError(u);
        }
        if (!(fn instanceof PyCallable c)) {
            throw new PyError("TypeError: '" + Py.typeName(fn) + "' object is not callable");
        }
        return c.call(args, kwargs);
    }

    Object eval(Expr e, Scope scope) {
        try {
            return evalUnchecked(e, scope);
        } catch (TemplateException ex) {
            throw ex;
        } catch (RuntimeException ex) {
            throw wrap(e, ex);
        }
    }

    private Object evalUnchecked(Expr e, Scope scope) {
        if (e instanceof Expr.Literal l) {
            return l.value();
        }
        if (e instanceof Expr.Name n) {
            Object v = scope.lookup(n.name());
            return v == PyOperators.MISSING ? new Undefined("'" + n.name() + "' is undefined") : v;
        }
        if (e instanceof Expr.GetAttr g) {
            return PyOperators.getAttr(eval(g.object(), scope), g.name());
        }
        if (e instanceof Expr.GetItem g) {
            Object obj = eval(g.object(), scope);
            if (g.index() instanceof Expr.Slice s) {
                return Py.slice(
                        obj,
                        s.start() == null ? null : eval(s.start(), scope),
                        s.stop() == null ? null : eval(s.stop(), scope),
                        s.step() == null ? null : eval(s.step(), scope));
            }
            return PyOperators.getItem(obj, eval(g.index(), scope));
        }
        if (e instanceof Expr.Binary b) {
            switch (b.op()) {
                case "and" -> {
                    Object left = eval(b.left(), scope);
                    return Py.truthy(left) ? eval(b.right(), scope) : left;
                }
                case "or" -> {
                    Object left = eval(b.left(), scope);
                    return Py.truthy(left) ? left : eval(b.right(), scope);
                }
                default -> {
                    return PyOperators.binary(b.op(), eval(b.left(), scope), eval(b.right(), scope));
                }
            }
        }
        if (e instanceof Expr.Compare c) {
            Object left = eval(c.first(), scope);
            for (int i = 0; i < c.ops().size(); i++) {
                Object right = eval(c.rest().get(i), scope);
                boolean ok = switch (c.ops().get(i)) {
                    case "==" -> Py.eq(left, right);
                    case "!=" -> !Py.eq(left, right);
                    case "<" -> Py.compare(left, right, "<") < 0;
                    case "<=" -> Py.compare(left, right, "<=") <= 0;
                    case ">" -> Py.compare(left, right, ">") > 0;
                    case ">=" -> Py.compare(left, right, ">=") >= 0;
                    case "in" -> Py.contains(right, left);
                    case "notin" -> !Py.contains(right, left);
                    default -> throw new PyError("unknown comparison " + c.ops().get(i));
                };
                if (!ok) {
                    return false;
                }
                left = right;
            }
            return true;
        }
        if (e instanceof Expr.Unary u) {
            Object v = eval(u.operand(), scope);
            return switch (u.op()) {
                case "not" -> !Py.truthy(v);
                case "-" -> PyOperators.negate(v);
                default -> {
                    if (!Py.isNumber(v)) {
                        throw new PyError("TypeError: bad operand type for unary +: '" + Py.typeName(v) + "'");
                    }
                    yield v instanceof Boolean ? (Object) Py.toLong(v) : v;
                }
            };
        }
        if (e instanceof Expr.Filter f) {
            return Filters.apply(
                    f.name(), eval(f.value(), scope), evalArgs(f.args(), scope), evalKwargs(f.kwargs(), scope));
        }
        if (e instanceof Expr.Test t) {
            boolean r = Tests.test(t.name(), eval(t.value(), scope), evalArgs(t.args(), scope));
            return r != t.negated();
        }
        if (e instanceof Expr.Call c) {
            Object fn = eval(c.function(), scope);
            return callValue(c, fn, evalArgs(c.args(), scope), evalKwargs(c.kwargs(), scope));
        }
        if (e instanceof Expr.Conditional c) {
            if (Py.truthy(eval(c.test(), scope))) {
                return eval(c.then(), scope);
            }
            return c.orElse() == null
                    ? new Undefined("the inline if-expression evaluated to false and no else " + "section was defined")
                    : eval(c.orElse(), scope);
        }
        if (e instanceof Expr.ListLit l) {
            return evalArgs(l.items(), scope);
        }
        if (e instanceof Expr.TupleLit t) {
            return new PyTuple(evalArgs(t.items(), scope));
        }
        if (e instanceof Expr.DictLit d) {
            Map<Object, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < d.keys().size(); i++) {
                m.put(eval(d.keys().get(i), scope), eval(d.values().get(i), scope));
            }
            return m;
        }
        throw new PyError("unsupported expression " + e.getClass().getSimpleName());
    }
}
