package dev.parley.inference.template;

import java.util.ArrayList;
import java.util.List;

/** Splits a Jinja expression into tokens; enough structure for the source rewriter, not a parser. */
final class ExpressionTokenizer {
    private static final String[] TWO_CHAR_OPERATORS = {"==", "!=", "<=", ">=", "//", "**"};

    private ExpressionTokenizer() {}

    static List<ExpressionToken> tokenize(String text) {
        List<ExpressionToken> tokens = new ArrayList<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '\'' || c == '"') {
                int end = stringEnd(text, i);
                tokens.add(new ExpressionToken(ExpressionToken.Kind.STRING, text.substring(i, end), i, end));
                i = end;
            } else if (Character.isLetter(c) || c == '_') {
                int end = i;
                while (end < n && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_')) end++;
                tokens.add(new ExpressionToken(ExpressionToken.Kind.NAME, text.substring(i, end), i, end));
                i = end;
            } else if (Character.isDigit(c)) {
                int end = i;
                while (end < n && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_'
                        || (text.charAt(end) == '.' && end + 1 < n && Character.isDigit(text.charAt(end + 1))))) end++;
                tokens.add(new ExpressionToken(ExpressionToken.Kind.NUMBER, text.substring(i, end), i, end));
                i = end;
            } else {
                String op = String.valueOf(c);
                for (String two : TWO_CHAR_OPERATORS) {
                    if (text.startsWith(two, i)) op = two;
                }
                tokens.add(new ExpressionToken(ExpressionToken.Kind.OPERATOR, op, i, i + op.length()));
                i += op.length();
            }
        }
        return tokens;
    }

    /** Index just past the closing quote of the string literal starting at {@code start} (or the text's end). */
    static int stringEnd(String text, int start) {
        char quote = text.charAt(start);
        int i = start + 1;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\\') i += 2;
            else if (c == quote) return i + 1;
            else i++;
        }
        return text.length();
    }
}
