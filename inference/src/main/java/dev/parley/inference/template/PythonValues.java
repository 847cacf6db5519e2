package dev.parley.inference.template;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;

/** Python's {@code str()} and {@code repr()} for the plain Java values templates see, so printed output matches jinja2. */
final class PythonValues {
    private PythonValues() {}

    /** What {@code {{ value }}} prints. A Java null is treated as undefined (jinja2 prints undefined as ''). */
    static String str(Object value) {
        if (value == null) return "";
        if (value instanceof CharSequence s) return s.toString();
        if (value instanceof Character c) return c.toString();
        return repr(value);
    }

    static String repr(Object value) {
        if (value == null) return "None";
        if (value instanceof Boolean b) return b ? "True" : "False";
        if (value instanceof CharSequence s) return stringRepr(s.toString());
        if (value instanceof Character c) return stringRepr(c.toString());
        if (value instanceof Number n) return numberRepr(n);
        if (value instanceof Map<?, ?> map) {
            StringBuilder out = new StringBuilder("{");
            Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                out.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                if (it.hasNext()) out.append(", ");
            }
            return out.append('}').toString();
        }
        if (value instanceof Map.Entry<?, ?> e) return "(" + repr(e.getKey()) + ", " + repr(e.getValue()) + ")";
        if (value instanceof Collection<?> items) return sequenceRepr(items);
        if (value instanceof Object[] items) return sequenceRepr(java.util.Arrays.asList(items));
        return value.toString();
    }

    private static String sequenceRepr(Collection<?> items) {
        StringBuilder out = new StringBuilder("[");
        Iterator<?> it = items.iterator();
        while (it.hasNext()) {
            out.append(repr(it.next()));
            if (it.hasNext()) out.append(", ");
        }
        return out.append(']').toString();
    }

    static String numberRepr(Number n) {
        if (n instanceof Double || n instanceof Float) return floatRepr(n.doubleValue());
        if (n instanceof BigDecimal d) return floatRepr(d.doubleValue());
        if (n instanceof BigInteger || n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte) {
            return n.toString();
        }
        return n.toString();
    }

    /** Python's float repr: shortest round-trip digits, plain between 1e-4 and 1e16, else {@code 1e+16} style. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal exact = new BigDecimal(Double.toString(d));
        double abs = Math.abs(d);
        if (abs >= 1e-4 && abs < 1e16) {
            String plain = exact.stripTrailingZeros().toPlainString();
            return plain.contains(".") ? plain : plain + ".0";
        }
        BigDecimal unscaled = exact.stripTrailingZeros();
        String digits = unscaled.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - unscaled.scale();
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String sign = d < 0 ? "-" : "";
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }

    /** Python picks single quotes unless the text contains a single quote and no double quote. */
    static String stringRepr(String s) {
        char quote = (s.indexOf('\'') >= 0 && s.indexOf('"') < 0) ? '"' : '\'';
        StringBuilder out = new StringBuilder().append(quote);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            switch (cp) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (cp == quote) {
                        out.append('\\').append((char) cp);
                    } else if (cp < 0x20 || cp == 0x7f) {
                        out.append(String.format("\\x%02x", cp));
                    } else if (!isPrintable(cp)) {
                        out.append(cp <= 0xff ? String.format("\\x%02x", cp)
                                : cp <= 0xffff ? String.format("\\u%04x", cp) : String.format("\\U%08x", cp));
                    } else {
                        out.appendCodePoint(cp);
                    }
                }
            }
        }
        return out.append(quote).toString();
    }

    private static boolean isPrintable(int cp) {
        int type = Character.getType(cp);
        return cp == ' ' || !(type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE
                || type == Character.PRIVATE_USE || type == Character.UNASSIGNED || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR || type == Character.SPACE_SEPARATOR);
    }

    /** Python truthiness: empty strings and containers, zero and None are false. */
    static boolean truthy(Object value) {
        if (value == null) return false;
        if (value instanceof Boolean b) return b;
        if (value instanceof CharSequence s) return !s.isEmpty();
        if (value instanceof Number n) return n.doubleValue() != 0;
        if (value instanceof Collection<?> c) return !c.isEmpty();
        if (value instanceof Map<?, ?> m) return !m.isEmpty();
        return true;
    }
}
