package dev.sparktune.preprocess.template.jinja;

import dev.sparktune.preprocess.template.jinja.Node.Expr;
import dev.sparktune.preprocess.template.jinja.Node.Stmt;
import dev.sparktune.preprocess.template.jinja.Token.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Recursive-descent parser for the Jinja2 subset chat templates use, with Jinja2's operator precedence. */
final class JinjaParser {
    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", ">", "<=", ">=");

    private final String name;
    private final List<Token> tokens;
    private int p;

    private JinjaParser(String name, List<Token> tokens) {
        this.name = name;
        this.tokens = tokens;
    }

    static List<Stmt> parse(String name, String source) {
        JinjaParser parser = new JinjaParser(name, JinjaLexer.tokenize(name, source));
        List<Stmt> body = parser.parseBody(Set.of());
        if (parser.peek().type() != Type.EOF) {
            throw parser.error(parser.peek(), "unexpected " + parser.peek());
        }
        return body;
    }

    // ---------------------------------------------------------------- token helpers

    private Token peek() {
        return tokens.get(p);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(p + ahead, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(p);
        if (t.type() != Type.EOF) {
            p++;
        }
        return t;
    }

    private JinjaError error(Token at, String message) {
        return new JinjaError(name, at.pos(), message);
    }

    private Token expect(Type type, String text, String what) {
        Token t = next();
        if (t.type() != type || (text != null && !t.text().equals(text))) {
            throw error(t, "expected " + what + " but found " + t);
        }
        return t;
    }

    private Token expectOp(String op) {
        return expect(Type.OP, op, "'" + op + "'");
    }

    private String expectName(String what) {
        return expect(Type.NAME, null, what).text();
    }

    private boolean acceptOp(String op) {
        if (peek().isOp(op)) {
            p++;
            return true;
        }
        return false;
    }

    private boolean acceptName(String word) {
        if (peek().isName(word)) {
            p++;
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- statements

    /** Parses until EOF or a block tag whose name is in {@code endTags} (left unconsumed, at its '{%'). */
    private List<Stmt> parseBody(Set<String> endTags) {
        List<Stmt> body = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.type()) {
                case EOF -> {
                    if (!endTags.isEmpty()) {
                        throw error(t, "unexpected end of template, expected one of " + endTags);
                    }
                    return body;
                }
                case DATA -> {
                    next();
                    body.add(new Node.Text(t.pos(), t.text()));
                }
                case VAR_BEGIN -> {
                    next();
                    Expr e = parseTuple(true);
                    expect(Type.VAR_END, null, "'}}'");
                    body.add(new Node.Output(t.pos(), e));
                }
                case BLOCK_BEGIN -> {
                    Token tag = peek(1);
                    if (tag.type() == Type.NAME && endTags.contains(tag.text())) {
                        return body;
                    }
                    next();
                    body.add(parseStatement());
                }
                default -> throw error(t, "unexpected " + t);
            }
        }
    }

    private void endTag(String tag) {
        expect(Type.BLOCK_BEGIN, null, "'{% " + tag + " %}'");
        expect(Type.NAME, tag, "'" + tag + "'");
        expect(Type.BLOCK_END, null, "'%}'");
    }

    private Stmt parseStatement() {
        Token t = next();
        if (t.type() != Type.NAME) {
            throw error(t, "expected a statement name but found " + t);
        }
        Pos pos = t.pos();
        switch (t.text()) {
            case "if" -> {
                List<Node.Branch> branches = new ArrayList<>();
                Expr test = parseExpression(true);
                expect(Type.BLOCK_END, null, "'%}'");
                while (true) {
                    List<Stmt> body = parseBody(Set.of("elif", "else", "endif"));
                    branches.add(new Node.Branch(test, body));
                    next();
                    String tag = next().text();
                    if (tag.equals("elif")) {
                        test = parseExpression(true);
                        expect(Type.BLOCK_END, null, "'%}'");
                    } else if (tag.equals("else")) {
                        List<Stmt> orElse = parseBlockBody("endif");
                        return new Node.If(pos, branches, orElse);
                    } else {
                        expect(Type.BLOCK_END, null, "'%}'");
                        return new Node.If(pos, branches, List.of());
                    }
                }
            }
            case "for" -> {
                Node.Target target = parseTarget(true, false);
                expect(Type.NAME, "in", "'in'");
                Expr iter = parseTuple(false);
                Expr filter = null;
                if (acceptName("if")) {
                    filter = parseExpression(true);
                }
                if (peek().isName("recursive")) {
                    throw error(peek(), "recursive for loops are not supported");
                }
                expect(Type.BLOCK_END, null, "'%}'");
                List<Stmt> body = parseBody(Set.of("endfor", "else"));
                List<Stmt> orElse = List.of();
                next();
                if (next().text().equals("else")) {
                    orElse = parseBlockBody("endfor");
                } else {
                    expect(Type.BLOCK_END, null, "'%}'");
                }
                return new Node.For(pos, target, iter, filter, body, orElse);
            }
            case "set" -> {
                Node.Target target = parseTarget(true, true);
                if (acceptOp("=")) {
                    Expr value = parseTuple(true);
                    expect(Type.BLOCK_END, null, "'%}'");
                    return new Node.Set(pos, target, value);
                }
                List<Expr.Filter> filters = parseFilterChain();
                List<Stmt> body = parseBlockBody("endset");
                return new Node.SetBlock(pos, target, filters, body);
            }
            case "macro" -> {
                String macroName = expectName("a macro name");
                List<Node.Param> params = parseParams();
                List<Stmt> body = parseBlockBody("endmacro");
                return new Node.Macro(pos, macroName, params, body);
            }
            case "call" -> {
                List<Node.Param> params = peek().isOp("(") ? parseParams() : List.of();
                Expr call = parseExpression(true);
                if (!(call instanceof Expr.Call c)) {
                    throw error(t, "{% call %} needs a macro call");
                }
                List<Stmt> body = parseBlockBody("endcall");
                return new Node.CallBlock(pos, params, c, body);
            }
            case "filter" -> {
                List<Expr.Filter> filters = new ArrayList<>();
                filters.add(parseOneFilter(peek().pos()));
                filters.addAll(parseFilterChain());
                List<Stmt> body = parseBlockBody("endfilter");
                return new Node.FilterBlock(pos, filters, body);
            }
            case "break" -> {
                expect(Type.BLOCK_END, null, "'%}'");
                return new Node.Break(pos);
            }
            case "continue" -> {
                expect(Type.BLOCK_END, null, "'%}'");
                return new Node.Continue(pos);
            }
            case "generation" -> {
                List<Stmt> body = parseBlockBody("endgeneration");
                return new Node.Generation(pos, body);
            }
            default -> throw error(t, "unknown or unsupported statement '" + t.text() + "'");
        }
    }

    /** Closes the opening tag, parses the body up to {@code {% end %}} and consumes that end tag. */
    private List<Stmt> parseBlockBody(String end) {
        expect(Type.BLOCK_END, null, "'%}'");
        List<Stmt> body = parseBody(Set.of(end));
        endTag(end);
        return body;
    }

    private List<Node.Param> parseParams() {
        expectOp("(");
        List<Node.Param> params = new ArrayList<>();
        parseCommaSeparated(")", () -> {
            String param = expectName("a parameter name");
            Expr def = acceptOp("=") ? parseExpression(true) : null;
            params.add(new Node.Param(param, def));
        });
        return params;
    }

    private List<Expr.Filter> parseFilterChain() {
        List<Expr.Filter> filters = new ArrayList<>();
        while (peek().isOp("|")) {
            Pos pos = next().pos();
            filters.add(parseOneFilter(pos));
        }
        return filters;
    }

    /** A filter name and its arguments, applied to a placeholder value. */
    private Expr.Filter parseOneFilter(Pos pos) {
        String filterName = expectName("a filter name");
        List<Expr> args = new ArrayList<>();
        List<Expr.Kwarg> kwargs = new ArrayList<>();
        if (peek().isOp("(")) {
            parseCallArgs(args, kwargs);
        }
        return new Expr.Filter(pos, null, filterName, args, kwargs);
    }

    private Node.Target parseTarget(boolean allowTuple, boolean allowAttr) {
        List<Node.Target> items = new ArrayList<>();
        boolean tuple = false;
        boolean parens = acceptOp("(");
        while (true) {
            String first = expectName("a variable name");
            if (allowAttr && peek().isOp(".")) {
                next();
                items.add(new Node.AttrTarget(first, expectName("an attribute name")));
            } else {
                items.add(new Node.NameTarget(first));
            }
            if (allowTuple && peek().isOp(",")) {
                next();
                tuple = true;
                if (peek().type() != Type.NAME) {
                    break;
                }
                continue;
            }
            break;
        }
        if (parens) {
            expectOp(")");
            tuple = true;
        }
        return tuple ? new Node.TupleTarget(items) : items.get(0);
    }

    // ---------------------------------------------------------------- expressions

    private boolean startsExpression(Token t) {
        return switch (t.type()) {
            case NAME, STRING, INT, FLOAT -> true;
            case OP ->
                t.text().equals("(")
                        || t.text().equals("[")
                        || t.text().equals("{")
                        || t.text().equals("-")
                        || t.text().equals("+");
            default -> false;
        };
    }

    /** An expression, or a tuple of them without parentheses ({@code set a, b = 1, 2}). */
    private Expr parseTuple(boolean withCondexpr) {
        Pos pos = peek().pos();
        Expr first = parseExpression(withCondexpr);
        if (!peek().isOp(",")) {
            return first;
        }
        List<Expr> items = new ArrayList<>();
        items.add(first);
        while (acceptOp(",")) {
            if (!startsExpression(peek())) {
                break;
            }
            items.add(parseExpression(withCondexpr));
        }
        return new Expr.TupleLit(pos, items);
    }

    private Expr parseExpression(boolean withCondexpr) {
        return withCondexpr ? parseCondexpr() : parseOr();
    }

    private Expr parseCondexpr() {
        Expr expr = parseOr();
        while (peek().isName("if")) {
            Pos pos = next().pos();
            Expr test = parseOr();
            Expr orElse = acceptName("else") ? parseCondexpr() : null;
            expr = new Expr.Conditional(pos, test, expr, orElse);
        }
        return expr;
    }

    /**
     * One left-associative level of the expression grammar: operands of the next tighter level joined by this
     * level's operators ({@code a or b or c} is {@code (a or b) or c}).
     */
    private Expr parseBinaryLevel(Supplier<Expr> operand, Predicate<Token> isOperator) {
        Expr left = operand.get();
        while (isOperator.test(peek())) {
            Token op = next();
            left = new Expr.Binary(op.pos(), op.text(), left, operand.get());
        }
        return left;
    }

    private Expr parseOr() {
        return parseBinaryLevel(this::parseAnd, t -> t.isName("or"));
    }

    private Expr parseAnd() {
        return parseBinaryLevel(this::parseNot, t -> t.isName("and"));
    }

    private Expr parseNot() {
        if (peek().isName("not")) {
            Pos pos = next().pos();
            return new Expr.Unary(pos, "not", parseNot());
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        Pos pos = peek().pos();
        Expr first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.type() == Type.OP && COMPARE_OPS.contains(t.text())) {
                next();
                ops.add(t.text());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && peek(1).isName("in")) {
                next();
                next();
                ops.add("notin");
            } else {
                break;
            }
            rest.add(parseMath1());
        }
        return ops.isEmpty() ? first : new Expr.Compare(pos, first, ops, rest);
    }

    private Expr parseMath1() {
        return parseBinaryLevel(this::parseConcat, t -> t.isOp("+") || t.isOp("-"));
    }

    private Expr parseConcat() {
        return parseBinaryLevel(this::parseMath2, t -> t.isOp("~"));
    }

    private Expr parseMath2() {
        return parseBinaryLevel(this::parsePow, t -> t.isOp("*") || t.isOp("/") || t.isOp("//") || t.isOp("%"));
    }

    private Expr parsePow() {
        return parseBinaryLevel(() -> parseUnary(true), t -> t.isOp("**"));
    }

    private Expr parseUnary(boolean withFilter) {
        Token t = peek();
        Expr node;
        if (t.isOp("-") || t.isOp("+")) {
            next();
            node = new Expr.Unary(t.pos(), t.text(), parseUnary(false));
        } else {
            node = parsePostfix(parsePrimary());
        }
        return withFilter ? parseFilterExpr(node) : node;
    }

    private Expr parsePrimary() {
        Token t = next();
        Pos pos = t.pos();
        switch (t.type()) {
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Expr.Literal(pos, Boolean.TRUE);
                    case "false", "False" -> new Expr.Literal(pos, Boolean.FALSE);
                    case "none", "None" -> new Expr.Literal(pos, null);
                    default -> new Expr.Name(pos, t.text());
                };
            }
            case STRING -> {
                StringBuilder sb = new StringBuilder((String) t.value());
                while (peek().type() == Type.STRING) {
                    sb.append((String) next().value());
                }
                return new Expr.Literal(pos, sb.toString());
            }
            case INT, FLOAT -> {
                return new Expr.Literal(pos, t.value());
            }
            case OP -> {
                switch (t.text()) {
                    case "(" -> {
                        if (acceptOp(")")) {
                            return new Expr.TupleLit(pos, List.of());
                        }
                        Expr first = parseExpression(true);
                        if (peek().isOp(",")) {
                            List<Expr> items = new ArrayList<>();
                            items.add(first);
                            while (acceptOp(",")) {
                                if (peek().isOp(")")) {
                                    break;
                                }
                                items.add(parseExpression(true));
                            }
                            expectOp(")");
                            return new Expr.TupleLit(pos, items);
                        }
                        expectOp(")");
                        return first;
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        parseCommaSeparated("]", () -> items.add(parseExpression(true)));
                        return new Expr.ListLit(pos, items);
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        parseCommaSeparated("}", () -> {
                            keys.add(parseExpression(true));
                            expectOp(":");
                            values.add(parseExpression(true));
                        });
                        return new Expr.DictLit(pos, keys, values);
                    }
                    default -> throw error(t, "unexpected " + t + " in expression");
                }
            }
            default -> throw error(t, "unexpected " + t + " in expression");
        }
    }

    private Expr parsePostfix(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                next();
                Token attr = next();
                if (attr.type() == Type.NAME) {
                    node = new Expr.GetAttr(t.pos(), node, attr.text());
                } else if (attr.type() == Type.INT) {
                    node = new Expr.GetItem(t.pos(), node, new Expr.Literal(attr.pos(), attr.value()));
                } else {
                    throw error(attr, "expected an attribute name after '.' but found " + attr);
                }
            } else if (t.isOp("[")) {
                next();
                node = new Expr.GetItem(t.pos(), node, parseSubscript());
                expectOp("]");
            } else if (t.isOp("(")) {
                List<Expr> args = new ArrayList<>();
                List<Expr.Kwarg> kwargs = new ArrayList<>();
                parseCallArgs(args, kwargs);
                node = new Expr.Call(t.pos(), node, args, kwargs);
            } else {
                return node;
            }
        }
    }

    private Expr parseSubscript() {
        Pos pos = peek().pos();
        Expr start = null;
        if (!peek().isOp(":")) {
            start = parseExpression(true);
            if (!peek().isOp(":")) {
                return start;
            }
        }
        expectOp(":");
        Expr stop = null;
        Expr step = null;
        if (!peek().isOp("]") && !peek().isOp(":")) {
            stop = parseExpression(true);
        }
        if (acceptOp(":") && !peek().isOp("]")) {
            step = parseExpression(true);
        }
        return new Expr.Slice(pos, start, stop, step);
    }

    private void parseCallArgs(List<Expr> args, List<Expr.Kwarg> kwargs) {
        expectOp("(");
        parseCommaSeparated(")", () -> {
            if (peek().isOp("*") || peek().isOp("**")) {
                throw error(peek(), "*args and **kwargs in calls are not supported");
            }
            if (peek().type() == Type.NAME && peek(1).isOp("=")) {
                String kw = next().text();
                next();
                kwargs.add(new Expr.Kwarg(kw, parseExpression(true)));
            } else {
                if (!kwargs.isEmpty()) {
                    throw error(peek(), "positional argument after keyword argument");
                }
                args.add(parseExpression(true));
            }
        });
    }

    /**
     * Items separated by commas up to the closing bracket {@code close}, which is consumed too; a trailing comma is
     * allowed, as in Python. {@code item} parses one item.
     */
    private void parseCommaSeparated(String close, Runnable item) {
        boolean first = true;
        while (!peek().isOp(close)) {
            if (!first) {
                expectOp(",");
                if (peek().isOp(close)) {
                    break;
                }
            }
            first = false;
            item.run();
        }
        expectOp(close);
    }

    private Expr parseFilterExpr(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOp("|")) {
                next();
                Expr.Filter f = parseOneFilter(t.pos());
                node = new Expr.Filter(f.pos(), node, f.name(), f.args(), f.kwargs());
            } else if (t.isName("is")) {
                next();
                boolean negated = acceptName("not");
                String testName = expectName("a test name");
                List<Expr> args = new ArrayList<>();
                if (peek().isOp("(")) {
                    List<Expr.Kwarg> kwargs = new ArrayList<>();
                    parseCallArgs(args, kwargs);
                    if (!kwargs.isEmpty()) {
                        throw error(t, "keyword arguments to tests are not supported");
                    }
                } else if (startsTestArgument(peek())) {
                    args.add(parsePostfix(parsePrimary()));
                }
                node = new Expr.Test(t.pos(), node, testName, args, negated);
            } else {
                return node;
            }
        }
    }

    private boolean startsTestArgument(Token t) {
        if (t.type() == Type.NAME) {
            return !(t.text().equals("else")
                    || t.text().equals("or")
                    || t.text().equals("and")
                    || t.text().equals("if")
                    || t.text().equals("is")
                    || t.text().equals("not")
                    || t.text().equals("in"));
        }
        return t.type() == Type.STRING || t.type() == Type.INT || t.type() == Type.FLOAT || t.isOp("[") || t.isOp("{");
    }
}
