package dev.parley.inference.template;

import com.hubspot.jinjava.objects.SafeString;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import jinjava.de.odysseus.el.misc.NumberOperations;
import jinjava.de.odysseus.el.misc.TypeConverter;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;

/**
 * {@code +}, {@code *} and {@code %} with Python's typing. Jinjava's {@code +} turns {@code 'a' + none} into
 * "anull" and {@code 'a' + dict} into "a{k=v}", where jinja2 raises TypeError: a tool-call template fed
 * arguments of the wrong type must fail, not prompt the model with Java's toString. Jinjava also has no
 * string repetition ({@code '-' * 3}) or printf formatting ({@code '%s' % x}).
 */
final class PythonOperators {
    private PythonOperators() {}

    static final AstBinary.Operator ADD = new AstBinary.SimpleOperator() {
        @Override
        protected Object apply(TypeConverter converter, Object a, Object b) {
            if (isNumber(a) && isNumber(b)) return NumberOperations.add(converter, a, b);
            if (a instanceof SafeString || b instanceof SafeString) {
                if (isString(a) && isString(b)) return new SafeString(markupText(a) + markupText(b));
            }
            if (isString(a) && isString(b)) return a.toString() + b;
            if (a instanceof List<?> x && b instanceof List<?> y) {
                List<Object> joined = new ArrayList<>(x);
                joined.addAll(y);
                return joined;
            }
            throw unsupported("+", a, b);
        }

        @Override
        public String toString() {
            return "+";
        }
    };

    static final AstBinary.Operator MUL = new AstBinary.SimpleOperator() {
        @Override
        protected Object apply(TypeConverter converter, Object a, Object b) {
            if (isString(a) && isInteger(b)) return a.toString().repeat(Math.max(0, ((Number) b).intValue()));
            if (isInteger(a) && isString(b)) return b.toString().repeat(Math.max(0, ((Number) a).intValue()));
            if (a instanceof Collection<?> items && isInteger(b)) return repeat(items, ((Number) b).intValue());
            if (isInteger(a) && b instanceof Collection<?> items) return repeat(items, ((Number) a).intValue());
            if (isNumber(a) && isNumber(b)) return NumberOperations.mul(converter, a, b);
            throw unsupported("*", a, b);
        }

        @Override
        public String toString() {
            return "*";
        }
    };

    static final AstBinary.Operator MOD = new AstBinary.SimpleOperator() {
        @Override
        protected Object apply(TypeConverter converter, Object a, Object b) {
            if (isString(a)) return PrintfFormat.format(a.toString(), b);
            if (isNumber(a) && isNumber(b)) return NumberOperations.mod(converter, a, b);
            throw unsupported("%", a, b);
        }

        @Override
        public String toString() {
            return "%";
        }
    };

    /**
     * markupsafe's rule: adding a plain str to Markup ({@code x|safe}) HTML-escapes the plain side. Functionary
     * v3.1 concatenates {@code '...'|safe + tool|tojson}, so its prompt really contains {@code &#34;}.
     */
    private static String markupText(Object operand) {
        if (operand instanceof SafeString safe) return safe.toString();
        String s = operand.toString();
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&#34;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static List<Object> repeat(Collection<?> items, int times) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < times; i++) out.addAll(items);
        return out;
    }

    private static boolean isString(Object o) {
        return o instanceof CharSequence || o instanceof SafeString;
    }

    private static boolean isNumber(Object o) {
        return o instanceof Number;
    }

    private static boolean isInteger(Object o) {
        return o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte || o instanceof java.math.BigInteger;
    }

    private static TemplateException unsupported(String op, Object a, Object b) {
        if (isString(a) && !isString(b)) {
            return new TemplateException("TypeError: can only concatenate str (not \"" + PythonStrings.typeName(b) + "\") to str");
        }
        return new TemplateException("TypeError: unsupported operand type(s) for " + op + ": '"
                + PythonStrings.typeName(a) + "' and '" + PythonStrings.typeName(b) + "'");
    }
}
