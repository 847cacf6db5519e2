package dev.parley.inference.template;

import java.util.List;

/** Python's {@code 'format' % values} for the conversions templates use: %s, %r, %d/%i, %f (with precision), %%. */
final class PrintfFormat {
    private PrintfFormat() {}

    static String format(String pattern, Object values) {
        List<?> args = values instanceof List<?> list ? list : java.util.Collections.singletonList(values);
        StringBuilder out = new StringBuilder();
        int next = 0;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            int start = i + 1;
            int end = start;
            while (end < pattern.length() && "0123456789.-+ #".indexOf(pattern.charAt(end)) >= 0) end++;
            if (end >= pattern.length()) throw new TemplateException("ValueError: incomplete format");
            String flags = pattern.substring(start, end);
            char conversion = pattern.charAt(end);
            i = end;
            if (conversion == '%') {
                out.append('%');
                continue;
            }
            if (next >= args.size()) throw new TemplateException("TypeError: not enough arguments for format string");
            Object arg = args.get(next++);
            out.append(convert(conversion, flags, arg));
        }
        if (next < args.size() && values instanceof List<?>) {
            throw new TemplateException("TypeError: not all arguments converted during string formatting");
        }
        return out.toString();
    }

    private static String convert(char conversion, String flags, Object arg) {
        return switch (conversion) {
            case 's' -> String.format("%" + flags + "s", PythonValues.str(arg == null ? "None" : arg));
            case 'r' -> String.format("%" + flags + "s", PythonValues.repr(arg));
            case 'd', 'i' -> {
                if (!(arg instanceof Number n)) throw new TemplateException("TypeError: %d format: a real number is required, not " + PythonStrings.typeName(arg));
                yield String.format("%" + flags + "d", n.longValue());
            }
            case 'f', 'F', 'e', 'g' -> {
                if (!(arg instanceof Number n)) throw new TemplateException("TypeError: must be real number, not " + PythonStrings.typeName(arg));
                yield String.format("%" + (flags.contains(".") ? flags : flags + ".6") + conversion, n.doubleValue());
            }
            default -> throw new TemplateException("ValueError: unsupported format character '" + conversion + "'");
        };
    }
}
