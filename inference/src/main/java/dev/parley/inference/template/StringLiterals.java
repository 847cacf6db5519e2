package dev.parley.inference.template;

/**
 * Python string-literal escapes Jinjava does not understand: backslash-newline continuation (used by Mistral
 * templates to wrap long strings) and {@code \xHH}, {@code \\uHHHH}, {@code \UHHHHHHHH}. They are decoded into the
 * literal's characters; escapes Jinjava does handle are left alone.
 */
final class StringLiterals {
    private StringLiterals() {}

    /** literal: a quoted string token, quotes included. */
    static String normalise(String literal) {
        if (literal.indexOf('\\') < 0) return literal;
        char quote = literal.charAt(0);
        StringBuilder out = new StringBuilder(literal.length());
        int i = 0;
        while (i < literal.length()) {
            char c = literal.charAt(i);
            if (c != '\\' || i + 1 >= literal.length()) {
                out.append(c);
                i++;
                continue;
            }
            char next = literal.charAt(i + 1);
            int digits = switch (next) {
                case 'x' -> 2;
                case 'u' -> 4;
                case 'U' -> 8;
                default -> 0;
            };
            if (next == '\n') {
                i += 2;
            } else if (digits > 0 && isHex(literal, i + 2, digits)) {
                int codePoint = Integer.parseInt(literal.substring(i + 2, i + 2 + digits), 16);
                if (codePoint == quote || codePoint == '\\') out.append('\\');
                out.appendCodePoint(codePoint);
                i += 2 + digits;
            } else {
                out.append(c).append(next);
                i += 2;
            }
        }
        return out.toString();
    }

    private static boolean isHex(String s, int from, int count) {
        if (from + count > s.length()) return false;
        for (int i = from; i < from + count; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) return false;
        }
        return true;
    }
}
