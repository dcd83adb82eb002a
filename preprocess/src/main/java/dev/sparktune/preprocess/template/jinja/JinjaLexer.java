package dev.sparktune.preprocess.template.jinja;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a template into tokens with the whitespace rules transformers' environment uses: {@code trim_blocks=True}
 * (the first newline after a block or comment tag is dropped), {@code lstrip_blocks=True} (spaces and tabs before a
 * block or comment tag at the start of a line are dropped), {@code -} / {@code +} modifiers on tags, and
 * {@code keep_trailing_newline=False} (one trailing newline of the source is dropped). Newlines are normalised to
 * {@code \n} first, as Jinja2's lexer does.
 */
final class JinjaLexer {
    private static final Pattern END_RAW = Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%}");
    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", ">=", "<=", "+", "-", "*", "/", "%", "~", "(", ")", "[", "]", "{", "}", ",", ".", ":",
        "|", "=", "<", ">"
    };

    private final String name;
    private final String src;
    private final int[] lineStarts;
    private final List<Token> tokens = new ArrayList<>();

    private JinjaLexer(String name, String source) {
        this.name = name;
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        if (s.endsWith("\n")) {
            s = s.substring(0, s.length() - 1);
        }
        this.src = s;
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                starts.add(i + 1);
            }
        }
        lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
    }

    static List<Token> tokenize(String name, String source) {
        JinjaLexer lexer = new JinjaLexer(name, source);
        lexer.run();
        return lexer.tokens;
    }

    private Pos posOf(int index) {
        int line = Arrays.binarySearch(lineStarts, index);
        if (line < 0) {
            line = -line - 2;
        }
        return new Pos(line + 1, index - lineStarts[line] + 1);
    }

    private JinjaError error(int index, String message) {
        return new JinjaError(name, posOf(index), message);
    }

    private void run() {
        int i = 0;
        boolean lstripNext = false;
        while (i <= src.length()) {
            int tag = nextTagStart(i);
            int dataEnd = tag < 0 ? src.length() : tag;
            String text = src.substring(i, dataEnd);
            int textStart = i;
            if (lstripNext) {
                int k = 0;
                while (k < text.length() && Character.isWhitespace(text.charAt(k))) {
                    k++;
                }
                text = text.substring(k);
                textStart += k;
            }
            lstripNext = false;
            if (tag >= 0) {
                char kind = src.charAt(tag + 1);
                char modifier = tag + 2 < src.length() ? src.charAt(tag + 2) : 0;
                if (modifier == '-') {
                    text = stripTrailingWhitespace(text);
                } else if (kind != '{' && modifier != '+') {
                    text = lstripBlock(text, textStart);
                }
            }
            if (!text.isEmpty()) {
                tokens.add(new Token(
                        Token.Type.DATA,
                        text,
                        text,
                        posOf(textStart).line(),
                        posOf(textStart).column()));
            }
            if (tag < 0) {
                break;
            }
            int[] end = lexTag(tag);
            i = end[0];
            lstripNext = end[1] == 1;
        }
        Pos p = posOf(src.length());
        tokens.add(new Token(Token.Type.EOF, "", null, p.line(), p.column()));
    }

    private int nextTagStart(int from) {
        int i = src.indexOf('{', from);
        while (i >= 0 && i + 1 < src.length()) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i = src.indexOf('{', i + 1);
        }
        return -1;
    }

    private static String stripTrailingWhitespace(String text) {
        int k = text.length();
        while (k > 0 && Character.isWhitespace(text.charAt(k - 1))) {
            k--;
        }
        return text.substring(0, k);
    }

    /** lstrip_blocks: drop the spaces/tabs between the last line start and a block or comment tag. */
    private String lstripBlock(String text, int textStart) {
        int lineStart = text.lastIndexOf('\n') + 1;
        boolean lineStarting = textStart == 0 || src.charAt(textStart - 1) == '\n';
        if (lineStart == 0 && !lineStarting) {
            return text;
        }
        for (int k = lineStart; k < text.length(); k++) {
            char c = text.charAt(k);
            if (!Character.isWhitespace(c)) {
                return text;
            }
        }
        return text.substring(0, lineStart);
    }

    /** Lexes one tag starting at {@code start}; returns {index after it, 1 if the next text is left-stripped}. */
    private int[] lexTag(int start) {
        char kind = src.charAt(start + 1);
        int i = start + 2;
        if (i < src.length() && (src.charAt(i) == '-' || src.charAt(i) == '+')) {
            i++;
        }
        if (kind == '#') {
            int close = src.indexOf("#}", i);
            if (close < 0) {
                throw error(start, "unclosed comment");
            }
            boolean minus = close > i && src.charAt(close - 1) == '-';
            boolean plus = close > i && src.charAt(close - 1) == '+';
            return afterBlockEnd(close + 2, minus, plus);
        }
        Pos p = posOf(start);
        tokens.add(new Token(
                kind == '{' ? Token.Type.VAR_BEGIN : Token.Type.BLOCK_BEGIN,
                src.substring(start, i),
                null,
                p.line(),
                p.column()));
        int firstToken = tokens.size();
        int depth = 0;
        while (true) {
            while (i < src.length() && Character.isWhitespace(src.charAt(i))) {
                i++;
            }
            if (i >= src.length()) {
                throw error(start, "unclosed " + (kind == '{' ? "'{{'" : "'{%'"));
            }
            if (depth == 0) {
                String close = kind == '{' ? "}}" : "%}";
                boolean minus = src.startsWith("-" + close, i);
                boolean plus = src.startsWith("+" + close, i) && kind == '%';
                if (minus || plus || src.startsWith(close, i)) {
                    int after = i + close.length() + (minus || plus ? 1 : 0);
                    Pos q = posOf(i);
                    tokens.add(new Token(
                            kind == '{' ? Token.Type.VAR_END : Token.Type.BLOCK_END,
                            close,
                            null,
                            q.line(),
                            q.column()));
                    if (kind == '%'
                            && tokens.size() - firstToken == 2
                            && tokens.get(firstToken).isName("raw")) {
                        return lexRaw(start, after, minus);
                    }
                    if (kind == '{') {
                        return new int[] {minus ? skipWhitespace(after) : after, 0};
                    }
                    return afterBlockEnd(after, minus, plus);
                }
            }
            i = lexExpressionToken(i);
            Token last = tokens.get(tokens.size() - 1);
            if (last.type() == Token.Type.OP) {
                switch (last.text()) {
                    case "(", "[", "{" -> depth++;
                    case ")", "]", "}" -> depth = Math.max(0, depth - 1);
                    default -> {}
                }
            }
        }
    }

    private int[] afterBlockEnd(int after, boolean minus, boolean plus) {
        if (minus) {
            return new int[] {skipWhitespace(after), 0};
        }
        if (!plus && after < src.length() && src.charAt(after) == '\n') {
            after++;
        }
        return new int[] {after, 0};
    }

    private int skipWhitespace(int i) {
        while (i < src.length() && Character.isWhitespace(src.charAt(i))) {
            i++;
        }
        return i;
    }

    private int[] lexRaw(int tagStart, int bodyStart, boolean minusAfterRaw) {
        // drop the {% raw %} tokens again: the body becomes plain text
        tokens.remove(tokens.size() - 1);
        tokens.remove(tokens.size() - 1);
        tokens.remove(tokens.size() - 1);
        int from = minusAfterRaw ? skipWhitespace(bodyStart) : afterBlockEnd(bodyStart, false, false)[0];
        Matcher m = END_RAW.matcher(src);
        if (!m.find(from)) {
            throw error(tagStart, "missing {% endraw %}");
        }
        String body = src.substring(from, m.start());
        if ("-".equals(m.group(1))) {
            body = stripTrailingWhitespace(body);
        } else if (!"+".equals(m.group(1))) {
            body = lstripBlock(body, from);
        }
        if (!body.isEmpty()) {
            Pos p = posOf(from);
            tokens.add(new Token(Token.Type.DATA, body, body, p.line(), p.column()));
        }
        return afterBlockEnd(m.end(), "-".equals(m.group(2)), "+".equals(m.group(2)));
    }

    private int lexExpressionToken(int i) {
        Pos p = posOf(i);
        char c = src.charAt(i);
        if (Character.isLetter(c) || c == '_') {
            int j = i + 1;
            while (j < src.length() && (Character.isLetterOrDigit(src.charAt(j)) || src.charAt(j) == '_')) {
                j++;
            }
            String word = src.substring(i, j);
            tokens.add(new Token(Token.Type.NAME, word, word, p.line(), p.column()));
            return j;
        }
        if (Character.isDigit(c)) {
            return lexNumber(i, p);
        }
        if (c == '\'' || c == '"') {
            return lexString(i, p);
        }
        for (String op : OPERATORS) {
            if (src.startsWith(op, i)) {
                tokens.add(new Token(Token.Type.OP, op, op, p.line(), p.column()));
                return i + op.length();
            }
        }
        throw error(i, "unexpected character '" + c + "'");
    }

    private int lexNumber(int i, Pos p) {
        int j = i;
        while (j < src.length() && (Character.isDigit(src.charAt(j)) || src.charAt(j) == '_')) {
            j++;
        }
        boolean isFloat = false;
        if (j + 1 < src.length() && src.charAt(j) == '.' && Character.isDigit(src.charAt(j + 1))) {
            isFloat = true;
            j++;
            while (j < src.length() && (Character.isDigit(src.charAt(j)) || src.charAt(j) == '_')) {
                j++;
            }
        }
        if (j < src.length() && (src.charAt(j) == 'e' || src.charAt(j) == 'E')) {
            int k = j + 1;
            if (k < src.length() && (src.charAt(k) == '+' || src.charAt(k) == '-')) {
                k++;
            }
            if (k < src.length() && Character.isDigit(src.charAt(k))) {
                isFloat = true;
                j = k;
                while (j < src.length() && Character.isDigit(src.charAt(j))) {
                    j++;
                }
            }
        }
        String text = src.substring(i, j);
        String clean = text.replace("_", "");
        if (isFloat) {
            tokens.add(new Token(Token.Type.FLOAT, text, Double.parseDouble(clean), p.line(), p.column()));
        } else {
            tokens.add(new Token(Token.Type.INT, text, Long.parseLong(clean), p.line(), p.column()));
        }
        return j;
    }

    private int lexString(int i, Pos p) {
        char quote = src.charAt(i);
        StringBuilder sb = new StringBuilder();
        int j = i + 1;
        while (true) {
            if (j >= src.length()) {
                throw error(i, "unterminated string literal");
            }
            char c = src.charAt(j);
            if (c == quote) {
                j++;
                break;
            }
            if (c == '\\' && j + 1 < src.length()) {
                char e = src.charAt(j + 1);
                j += 2;
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'v' -> sb.append('\u000b');
                    case 'a' -> sb.append('\u0007');
                    case '0' -> sb.append('\0');
                    case '\\' -> sb.append('\\');
                    case '\'' -> sb.append('\'');
                    case '"' -> sb.append('"');
                    case '\n' -> {}
                    case 'x' -> {
                        sb.append((char) Integer.parseInt(src.substring(j, j + 2), 16));
                        j += 2;
                    }
                    case 'u' -> {
                        sb.append((char) Integer.parseInt(src.substring(j, j + 4), 16));
                        j += 4;
                    }
                    case 'U' -> {
                        sb.appendCodePoint(Integer.parseInt(src.substring(j, j + 8), 16));
                        j += 8;
                    }
                    default -> sb.append('\\').append(e);
                }
                continue;
            }
            sb.append(c);
            j++;
        }
        String text = sb.toString();
        tokens.add(new Token(Token.Type.STRING, src.substring(i, j), text, p.line(), p.column()));
        return j;
    }
}
