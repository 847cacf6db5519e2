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

    /**
     * Python rounds the exact binary value half-to-even ({@code '%.1f' % 2.25} is "2.2"); Java's Formatter rounds
     * half-up, so the digits come from BigDecimal and only the padding is done here.
     */
    private static String fixedPoint(String flags, double value) {
        int dot = flags.indexOf('.');
        int precision = dot >= 0 ? Integer.parseInt("0" + flags.substring(dot + 1)) : 6;
        String widthFlags = dot >= 0 ? flags.substring(0, dot) : flags;
        String digits = Double.isFinite(value)
                ? new java.math.BigDecimal(value).setScale(precision, java.math.RoundingMode.HALF_EVEN).toPlainString()
                : PythonValues.floatRepr(value);
        if (widthFlags.contains("+") && !digits.startsWith("-")) digits = "+" + digits;
        int width = Integer.parseInt("0" + widthFlags.replaceAll("[^0-9]", "").replaceFirst("^0+", ""));
        if (digits.length() >= width) return digits;
        String padding = (widthFlags.contains("0") && !widthFlags.contains("-") ? "0" : " ").repeat(width - digits.length());
        if (widthFlags.contains("-")) return digits + padding;
        if (padding.startsWith("0") && (digits.startsWith("-") || digits.startsWith("+"))) {
            return digits.charAt(0) + padding + digits.substring(1);
        }
        return padding + digits;
    }

    private static String convert(char conversion, String flags, Object arg) {
        return switch (conversion) {
            case 's' -> String.format("%" + flags + "s", PythonValues.str(arg == null ? "None" : arg));
            case 'r' -> String.format("%" + flags + "s", PythonValues.repr(arg));
            case 'd', 'i' -> {
                if (!(arg instanceof Number n)) throw new TemplateException("TypeError: %d format: a real number is required, not " + PythonStrings.typeName(arg));
                yield String.format("%" + flags + "d", n.longValue());
            }
            case 'f', 'F' -> {
                if (!(arg instanceof Number n)) throw new TemplateException("TypeError: must be real number, not " + PythonStrings.typeName(arg));
                yield fixedPoint(flags, n.doubleValue());
            }
            case 'e', 'g' -> {
                if (!(arg instanceof Number n)) throw new TemplateException("TypeError: must be real number, not " + PythonStrings.typeName(arg));
                yield String.format("%" + (flags.contains(".") ? flags : flags + ".6") + conversion, n.doubleValue());
            }
            default -> throw new TemplateException("ValueError: unsupported format character '" + conversion + "'");
        };
    }
}
