package dev.parley.inference.template;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Python {@code str} methods that chat templates call ({@code content.strip()}, {@code name.split('.')}, ...). */
final class PythonStrings {
    private PythonStrings() {}

    /** chars == null strips Python whitespace, as {@code str.strip()} does. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        if (left) while (start < end && stripped(s.charAt(start), chars)) start++;
        if (right) while (end > start && stripped(s.charAt(end - 1), chars)) end--;
        return s.substring(start, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isPythonWhitespace(c) : chars.indexOf(c) >= 0;
    }

    static boolean isPythonWhitespace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u001c' || c == '\u001d'
                || c == '\u001e' || c == '\u001f' || c == '\u0085';
    }

    /** {@code str.split(sep=None, maxsplit=-1)}. */
    static List<String> split(String s, String separator, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (separator == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isPythonWhitespace(s.charAt(i))) i++;
                if (i >= n) break;
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int start = i;
                while (i < n && !isPythonWhitespace(s.charAt(i))) i++;
                parts.add(s.substring(start, i));
            }
            return parts;
        }
        if (separator.isEmpty()) throw new TemplateException("ValueError: empty separator");
        int start = 0;
        while (maxSplit < 0 || parts.size() < maxSplit) {
            int at = s.indexOf(separator, start);
            if (at < 0) break;
            parts.add(s.substring(start, at));
            start = at + separator.length();
        }
        parts.add(s.substring(start));
        return parts;
    }

    /** {@code str.rsplit(sep, maxsplit)} with an explicit separator. */
    static List<String> rsplit(String s, String separator, int maxSplit) {
        if (separator == null || maxSplit < 0) return split(s, separator, maxSplit);
        List<String> parts = new ArrayList<>();
        int end = s.length();
        while (parts.size() < maxSplit) {
            int at = s.lastIndexOf(separator, end - separator.length());
            if (at < 0 || end - separator.length() < 0) break;
            parts.addFirst(s.substring(at + separator.length(), end));
            end = at;
        }
        parts.addFirst(s.substring(0, end));
        return parts;
    }

    /** {@code str.splitlines()}: Python's line boundaries, no trailing empty line. */
    static List<String> splitlines(String s) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            if (LINE_BREAKS.indexOf(s.charAt(i)) < 0) continue;
            lines.add(s.substring(start, i));
            if (s.charAt(i) == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') i++;
            start = i + 1;
        }
        if (start < s.length()) lines.add(s.substring(start));
        return lines;
    }

    /** The characters Python's {@code str.splitlines} (and so jinja2's lexer) treats as line ends. */
    static final String LINE_BREAKS = "\n\r\u000b\u000c\u001c\u001d\u001e\u0085\u2028\u2029";

    static String replace(String s, String old, String replacement, int count) {
        if (count < 0) return s.replace(old, replacement);
        StringBuilder out = new StringBuilder();
        int start = 0;
        for (int done = 0; done < count; done++) {
            int at = old.isEmpty() ? (start <= s.length() ? start : -1) : s.indexOf(old, start);
            if (at < 0) break;
            out.append(s, start, at).append(replacement);
            if (old.isEmpty()) {
                if (at < s.length()) out.append(s.charAt(at));
                start = at + 1;
            } else {
                start = at + old.length();
            }
        }
        if (start <= s.length()) out.append(s.substring(Math.min(start, s.length())));
        return out.toString();
    }

    static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            previousCased = Character.isLetter(c);
        }
        return out.toString();
    }

    static String capitalize(String s) {
        if (s.isEmpty()) return s;
        return Character.toTitleCase(s.charAt(0)) + s.substring(1).toLowerCase();
    }

    static int count(String s, String part) {
        if (part.isEmpty()) return s.length() + 1;
        int n = 0;
        for (int at = s.indexOf(part); at >= 0; at = s.indexOf(part, at + part.length())) n++;
        return n;
    }

    static String join(String separator, Object items) {
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Object item : iterate(items)) {
            if (!first) out.append(separator);
            out.append(PythonValues.str(item));
            first = false;
        }
        return out.toString();
    }

    static String reversed(String s) {
        return new StringBuilder(s).reverse().toString();
    }

    /** Python {@code '{} and {name}'.format(...)} for the auto-numbered, indexed and named fields templates use. */
    static String format(String pattern, List<Object> args, java.util.Map<String, Object> kwargs) {
        StringBuilder out = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '{' && i + 1 < pattern.length() && pattern.charAt(i + 1) == '{') {
                out.append('{');
                i++;
            } else if (c == '}' && i + 1 < pattern.length() && pattern.charAt(i + 1) == '}') {
                out.append('}');
                i++;
            } else if (c == '{') {
                int close = pattern.indexOf('}', i);
                if (close < 0) throw new TemplateException("ValueError: Single '{' encountered in format string");
                String field = pattern.substring(i + 1, close);
                Object value;
                if (field.isEmpty()) value = args.get(auto++);
                else if (field.chars().allMatch(Character::isDigit)) value = args.get(Integer.parseInt(field));
                else value = kwargs.get(field);
                out.append(PythonValues.str(value));
                i = close;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    static Iterable<?> iterate(Object items) {
        if (items instanceof Collection<?> c) return c;
        if (items instanceof java.util.Map<?, ?> m) return m.keySet();
        if (items instanceof Object[] array) return List.of(array);
        if (items instanceof String s) return s.codePoints().mapToObj(Character::toString).toList();
        if (items instanceof Iterable<?> it) return it;
        throw new TemplateException("TypeError: '" + typeName(items) + "' object is not iterable");
    }

    static String typeName(Object value) {
        if (value == null) return "NoneType";
        if (value instanceof String) return "str";
        if (value instanceof Boolean) return "bool";
        if (value instanceof Double || value instanceof Float || value instanceof java.math.BigDecimal) return "float";
        if (value instanceof Number) return "int";
        if (value instanceof java.util.Map) return "dict";
        if (value instanceof java.util.List) return "list";
        return value.getClass().getSimpleName();
    }
}
