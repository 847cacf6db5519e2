package dev.parley.inference.constrain;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader and writer for schemas (RFC 8259; no comments, no trailing commas; duplicate keys are
 * an error), kept here so the constraint engine depends on no JSON library. Values are {@code Map<String, Object>}
 * (insertion-ordered), {@code List<Object>}, {@code String}, {@link JsonNumber} (the literal text, kept exact),
 * {@code Boolean} and {@link #NULL}.
 */
public final class JsonText {
    /** JSON {@code null}. */
    public static final Object NULL = new Object() {
        @Override public String toString() {
            return "null";
        }
    };

    /** A JSON number as written. */
    public record JsonNumber(String text) {}

    private final String text;
    private int pos;

    private JsonText(String text) {
        this.text = text;
    }

    public static Object parse(String text) {
        JsonText reader = new JsonText(text);
        reader.skipSpace();
        Object value = reader.value(0);
        reader.skipSpace();
        if (reader.pos < text.length()) throw reader.error("unexpected text after the JSON value");
        return value;
    }

    /** Compact JSON for a value of the model above. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    private static void write(Object value, StringBuilder out) {
        switch (value) {
            case Map<?, ?> map -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!first) out.append(',');
                    first = false;
                    writeString((String) e.getKey(), out);
                    out.append(':');
                    write(e.getValue(), out);
                }
                out.append('}');
            }
            case List<?> list -> {
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) out.append(',');
                    write(list.get(i), out);
                }
                out.append(']');
            }
            case String s -> writeString(s, out);
            case JsonNumber n -> out.append(n.text());
            case Boolean b -> out.append(b);
            default -> {
                if (value != NULL) throw new IllegalArgumentException("not a JSON value: " + value);
                out.append("null");
            }
        }
    }

    /** The JSON string literal of {@code s}: quote, backslash and control characters escaped, nothing else. */
    public static String quote(String s) {
        StringBuilder out = new StringBuilder();
        writeString(s, out);
        return out.toString();
    }

    private static void writeString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String escape = escape(c);
            if (escape != null) out.append(escape);
            else out.append(c);
        }
        out.append('"');
    }

    /** The escape JSON requires for {@code c}, or null if it may appear as is in a string. */
    static String escape(int c) {
        return switch (c) {
            case '"' -> "\\\"";
            case '\\' -> "\\\\";
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            case '\b' -> "\\b";
            case '\f' -> "\\f";
            default -> c < 0x20 ? String.format("\\u%04x", c) : null;
        };
    }

    private Object value(int depth) {
        if (depth > 200) throw error("nesting deeper than 200");
        if (pos >= text.length()) throw error("expected a JSON value, found the end of the text");
        char c = text.charAt(pos);
        switch (c) {
            case '{' -> {
                pos++;
                Map<String, Object> map = new LinkedHashMap<>();
                skipSpace();
                if (peek('}')) return map;
                while (true) {
                    skipSpace();
                    if (pos >= text.length() || text.charAt(pos) != '"') throw error("expected a property name in quotes");
                    int keyAt = pos;
                    String key = string();
                    skipSpace();
                    expect(':');
                    skipSpace();
                    Object v = value(depth + 1);
                    if (map.containsKey(key)) {
                        pos = keyAt;
                        throw error("duplicate property " + quote(key));
                    }
                    map.put(key, v);
                    skipSpace();
                    if (peek('}')) return map;
                    expect(',');
                }
            }
            case '[' -> {
                pos++;
                List<Object> list = new ArrayList<>();
                skipSpace();
                if (peek(']')) return list;
                while (true) {
                    skipSpace();
                    list.add(value(depth + 1));
                    skipSpace();
                    if (peek(']')) return list;
                    expect(',');
                }
            }
            case '"' -> {
                return string();
            }
            case 't' -> {
                word("true");
                return Boolean.TRUE;
            }
            case 'f' -> {
                word("false");
                return Boolean.FALSE;
            }
            case 'n' -> {
                word("null");
                return NULL;
            }
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) return number();
                throw error("unexpected character '" + c + "'");
            }
        }
    }

    private JsonNumber number() {
        int start = pos;
        if (peek('-')) { /* sign consumed */ }
        if (peek('0')) {
            // a leading zero stands alone
        } else if (pos < text.length() && text.charAt(pos) >= '1' && text.charAt(pos) <= '9') {
            digits();
        } else {
            throw error("bad number");
        }
        if (peek('.')) {
            if (digits() == 0) throw error("expected digits after the decimal point");
        }
        if (pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
            pos++;
            if (!peek('+')) peek('-');
            if (digits() == 0) throw error("expected exponent digits");
        }
        return new JsonNumber(text.substring(start, pos));
    }

    private int digits() {
        int start = pos;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') pos++;
        return pos - start;
    }

    private String string() {
        pos++; // opening quote
        StringBuilder out = new StringBuilder();
        while (true) {
            if (pos >= text.length()) throw error("unterminated string");
            char c = text.charAt(pos++);
            if (c == '"') return out.toString();
            if (c < 0x20) {
                pos--;
                throw error("control character in a string must be escaped");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (pos >= text.length()) throw error("unterminated escape");
            char e = text.charAt(pos++);
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) throw error("expected 4 hex digits after \\u");
                    int v = 0;
                    for (int i = 0; i < 4; i++) {
                        int d = Character.digit(text.charAt(pos++), 16);
                        if (d < 0) throw error("expected 4 hex digits after \\u");
                        v = v * 16 + d;
                    }
                    out.append((char) v);
                }
                default -> {
                    pos -= 2;
                    throw error("unknown escape '\\" + e + "'");
                }
            }
        }
    }

    private void word(String w) {
        if (!text.startsWith(w, pos)) throw error("unexpected text (expected '" + w + "')");
        pos += w.length();
    }

    private boolean peek(char c) {
        if (pos < text.length() && text.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!peek(c)) {
            throw error(pos >= text.length() ? "expected '" + c + "', found the end of the text"
                    : "expected '" + c + "', found '" + text.charAt(pos) + "'");
        }
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            pos++;
        }
    }

    private GrammarException error(String message) {
        return GrammarException.at("JSON", text, pos, message);
    }
}
