package dev.sparktune.preprocess.template.jinja;

/** One lexical token of a Jinja template; {@code line}/{@code column} are 1-based positions in the source. */
record Token(Type type, String text, Object value, int line, int column) {

    enum Type {
        DATA,
        VAR_BEGIN,
        VAR_END,
        BLOCK_BEGIN,
        BLOCK_END,
        NAME,
        STRING,
        INT,
        FLOAT,
        OP,
        EOF
    }

    boolean is(Type t, String s) {
        return type == t && text.equals(s);
    }

    boolean isName(String s) {
        return is(Type.NAME, s);
    }

    boolean isOp(String s) {
        return is(Type.OP, s);
    }

    Pos pos() {
        return new Pos(line, column);
    }

    @Override
    public String toString() {
        return switch (type) {
            case DATA -> "template text";
            case VAR_BEGIN -> "'{{'";
            case VAR_END -> "'}}'";
            case BLOCK_BEGIN -> "'{%'";
            case BLOCK_END -> "'%}'";
            case EOF -> "end of template";
            default -> "'" + text + "'";
        };
    }
}
