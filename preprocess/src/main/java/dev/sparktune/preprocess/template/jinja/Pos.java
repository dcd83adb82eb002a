package dev.sparktune.preprocess.template.jinja;

import java.io.Serializable;

/** A 1-based line and column in a template's source, carried by every AST node for error messages. */
record Pos(int line, int column) implements Serializable {
    @Override
    public String toString() {
        return "line " + line + ", column " + column;
    }
}
