package dev.sparktune.preprocess.template.jinja;

/**
 * Jinja2's default {@code Undefined}: prints as '', is false, iterates as empty, has length 0; any attribute or item
 * access, call or arithmetic on it fails with {@link #hint}.
 */
final class Undefined {
    final String hint;

    Undefined(String hint) {
        this.hint = hint;
    }

    @Override
    public String toString() {
        return "";
    }
}
