package dev.parley.inference.template;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * {@code json.dumps} as transformers' {@code tojson} filter calls it ({@code ensure_ascii=False} by default).
 * Python's separators differ from Java JSON libraries ({@code ", "} and {@code ": "}), which models see in their prompts.
 */
final class PythonJson {
    private final boolean ensureAscii;
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;

    /** indent: null for one line; separators: null for Python's defaults, which depend on indent. */
    PythonJson(boolean ensureAscii, String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSeparator = itemSeparator != null ? itemSeparator : (indent == null ? ", " : ",");
        this.keySeparator = keySeparator != null ? keySeparator : ": ";
        this.sortKeys = sortKeys;
    }

    String dumps(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out, 0);
        return out.toString();
    }

    private void write(Object value, StringBuilder out, int level) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (value instanceof Number n) {
            writeNumber(n, out);
        } else if (value instanceof CharSequence || value instanceof Character) {
            writeString(value.toString(), out);
        } else if (value instanceof Map<?, ?> map) {
            writeObject(map, out, level);
        } else if (value instanceof Collection<?> items) {
            writeArray(items, out, level);
        } else if (value instanceof Object[] items) {
            writeArray(List.of(items), out, level);
        } else if (value instanceof Map.Entry<?, ?> e) {
            writeArray(java.util.Arrays.asList(e.getKey(), e.getValue()), out, level);
        } else {
            throw new TemplateException("TypeError: Object of type " + value.getClass().getSimpleName() + " is not JSON serializable");
        }
    }

    private static void writeNumber(Number n, StringBuilder out) {
        if (n instanceof Double || n instanceof Float || n instanceof java.math.BigDecimal) {
            double d = n.doubleValue();
            if (Double.isNaN(d)) out.append("NaN");
            else if (Double.isInfinite(d)) out.append(d > 0 ? "Infinity" : "-Infinity");
            else out.append(PythonValues.floatRepr(d));
        } else {
            out.append(n);
        }
    }

    private void writeArray(Collection<?> items, StringBuilder out, int level) {
        if (items.isEmpty()) {
            out.append("[]");
            return;
        }
        out.append('[');
        boolean first = true;
        for (Object item : items) {
            if (!first) out.append(itemSeparator);
            newline(out, level + 1);
            write(item, out, level + 1);
            first = false;
        }
        newline(out, level);
        out.append(']');
    }

    private void writeObject(Map<?, ?> map, StringBuilder out, int level) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        List<Map.Entry<String, Object>> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : map.entrySet()) entries.add(Map.entry(keyString(e.getKey()), nullSafe(e.getValue())));
        if (sortKeys) entries.sort(Map.Entry.comparingByKey());
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, Object> e : entries) {
            if (!first) out.append(itemSeparator);
            newline(out, level + 1);
            writeString(e.getKey(), out);
            out.append(keySeparator);
            write(e.getValue() == NULL_VALUE ? null : e.getValue(), out, level + 1);
            first = false;
        }
        newline(out, level);
        out.append('}');
    }

    /** Map.entry refuses null values; a marker stands in for JSON null while sorting. */
    private static final Object NULL_VALUE = new Object();

    private static Object nullSafe(Object value) {
        return value == null ? NULL_VALUE : value;
    }

    /** Python converts non-string keys the way json does: True -> "true", None -> "null", numbers by repr. */
    private static String keyString(Object key) {
        if (key == null) return "null";
        if (key instanceof Boolean b) return b ? "true" : "false";
        if (key instanceof Number n) {
            StringBuilder s = new StringBuilder();
            writeNumber(n, s);
            return s.toString();
        }
        return key.toString();
    }

    private void newline(StringBuilder out, int level) {
        if (indent == null) return;
        out.append('\n');
        out.append(indent.repeat(level));
    }

    private void writeString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        out.append('"');
    }
}
