package dev.sparktune.preprocess.template.jinja;

import java.io.Serializable;
import java.util.List;

/** The template AST: immutable records, shared by all threads rendering the same template. */
interface Node extends Serializable {
    Pos pos();

    // ---------------------------------------------------------------- statements

    interface Stmt extends Node {}

    record Text(Pos pos, String text) implements Stmt {}

    record Output(Pos pos, Expr expr) implements Stmt {}

    record Branch(Expr test, List<Stmt> body) implements Serializable {}

    record If(Pos pos, List<Branch> branches, List<Stmt> orElse) implements Stmt {}

    record For(Pos pos, Target target, Expr iter, Expr filter, List<Stmt> body, List<Stmt> orElse) implements Stmt {}

    record Set(Pos pos, Target target, Expr value) implements Stmt {}

    record SetBlock(Pos pos, Target target, List<Expr.Filter> filters, List<Stmt> body) implements Stmt {}

    record Param(String name, Expr defaultValue) implements Serializable {}

    record Macro(Pos pos, String name, List<Param> params, List<Stmt> body) implements Stmt {}

    record CallBlock(Pos pos, List<Param> params, Expr.Call call, List<Stmt> body) implements Stmt {}

    /** {@code {% filter f %}..{% endfilter %}}: filters' {@code expr} is a {@link Expr.Name} placeholder. */
    record FilterBlock(Pos pos, List<Expr.Filter> filters, List<Stmt> body) implements Stmt {}

    record Break(Pos pos) implements Stmt {}

    record Continue(Pos pos) implements Stmt {}

    /** transformers' {@code {% generation %}} block (AssistantTracker): marks text the assistant produces. */
    record Generation(Pos pos, List<Stmt> body) implements Stmt {}

    // ---------------------------------------------------------------- assignment targets

    interface Target extends Serializable {}

    record NameTarget(String name) implements Target {}

    record AttrTarget(String object, String attr) implements Target {}

    record TupleTarget(List<Target> items) implements Target {}

    // ---------------------------------------------------------------- expressions

    interface Expr extends Node {
        record Literal(Pos pos, Object value) implements Expr {}

        record Name(Pos pos, String name) implements Expr {}

        record ListLit(Pos pos, List<Expr> items) implements Expr {}

        record TupleLit(Pos pos, List<Expr> items) implements Expr {}

        record DictLit(Pos pos, List<Expr> keys, List<Expr> values) implements Expr {}

        record GetAttr(Pos pos, Expr object, String name) implements Expr {}

        record GetItem(Pos pos, Expr object, Expr index) implements Expr {}

        /** Only as the index of a {@link GetItem}; absent parts are null. */
        record Slice(Pos pos, Expr start, Expr stop, Expr step) implements Expr {}

        record Kwarg(String name, Expr value) implements Serializable {}

        record Call(Pos pos, Expr function, List<Expr> args, List<Kwarg> kwargs) implements Expr {}

        record Filter(Pos pos, Expr value, String name, List<Expr> args, List<Kwarg> kwargs) implements Expr {}

        record Test(Pos pos, Expr value, String name, List<Expr> args, boolean negated) implements Expr {}

        /** {@code op}: "-", "+", "not". */
        record Unary(Pos pos, String op, Expr operand) implements Expr {}

        /** {@code op}: arithmetic, "~", "and", "or". */
        record Binary(Pos pos, String op, Expr left, Expr right) implements Expr {}

        /** A comparison chain {@code a < b <= c}; ops: ==, !=, <, <=, >, >=, in, notin. */
        record Compare(Pos pos, Expr first, List<String> ops, List<Expr> rest) implements Expr {}

        /** {@code then if test else orElse}; orElse null means undefined. */
        record Conditional(Pos pos, Expr test, Expr then, Expr orElse) implements Expr {}
    }
}
