package dev.parley.inference.constrain;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses llama.cpp's GBNF (grammars/README.md there): {@code name ::= alternatives} rules, one per line (a rule
 * continues on the next line after {@code ::=}, after {@code |} and inside parentheses), sequences, {@code |},
 * groups, {@code * + ?} and {@code {m}}, {@code {m,}}, {@code {m,n}}, {@code {,n}} repetition, string literals and
 * character classes with the escapes {@code \x..}, {@code \U........} (and the 4-digit u escape), {@code \t \r \n \\
 * \" \[ \] \-}, negated classes,
 * {@code .} (any character) and {@code #} comments. The start rule is {@code root}.
 *
 * <p>Refused with a line and column: undefined or twice-defined rules, unknown escapes, unterminated literals and
 * classes, a quantifier with nothing before it, and token references ({@code <[id]>}, {@code <name>}), which this
 * engine does not support.
 */
public final class GbnfParser {
    private final String text;
    private int pos;
    private final Map<String, GrammarExpr> rules = new LinkedHashMap<>();
    /** Where each rule was first used, to report an undefined one there. */
    private final Map<String, Integer> firstUse = new HashMap<>();

    private GbnfParser(String text) {
        this.text = text;
    }

    /** The grammar of a GBNF text; its root is {@code root}. */
    public static Grammar parse(String text) {
        return new GbnfParser(text).grammar();
    }

    private Grammar grammar() {
        skipSpace(true);
        while (pos < text.length()) {
            rule();
            skipSpace(true);
        }
        for (Map.Entry<String, Integer> use : firstUse.entrySet()) {
            if (!rules.containsKey(use.getKey())) throw error(use.getValue(), "rule '" + use.getKey() + "' is not defined");
        }
        if (!rules.containsKey("root")) throw new GrammarException("GBNF error: the grammar has no 'root' rule");
        return new Grammar("root", rules);
    }

    private void rule() {
        int nameAt = pos;
        String name = name();
        if (name.isEmpty()) throw error(pos, "expected a rule name");
        skipSpace(false);
        if (!text.startsWith("::=", pos)) throw error(pos, "expected '::=' after rule name '" + name + "'");
        pos += 3;
        skipSpace(true);
        GrammarExpr body = alternatives(false);
        if (rules.containsKey(name)) throw error(nameAt, "rule '" + name + "' is defined twice");
        rules.put(name, body);
        if (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '\r') pos += text.startsWith("\r\n", pos) ? 2 : 1;
            else if (c == '\n') pos++;
            else throw error(pos, "expected the end of the line after rule '" + name + "', found '" + printable(c) + "'");
        }
    }

    private GrammarExpr alternatives(boolean nested) {
        List<GrammarExpr> alts = new ArrayList<>();
        alts.add(sequence(nested));
        while (pos < text.length() && text.charAt(pos) == '|') {
            pos++;
            skipSpace(true);
            alts.add(sequence(nested));
        }
        return alts.size() == 1 ? alts.getFirst() : new GrammarExpr.Choice(alts);
    }

    private GrammarExpr sequence(boolean nested) {
        List<GrammarExpr> items = new ArrayList<>();
        while (pos < text.length()) {
            char c = text.charAt(pos);
            int at = pos;
            if (c == '"') {
                pos++;
                items.add(new GrammarExpr.Literal(literal()));
            } else if (c == '[') {
                pos++;
                items.add(charClass());
            } else if (isNameChar(c)) {
                String name = name();
                firstUse.putIfAbsent(name, at);
                items.add(new GrammarExpr.RuleRef(name));
            } else if (c == '(') {
                pos++;
                skipSpace(true);
                GrammarExpr inner = alternatives(true);
                if (pos >= text.length() || text.charAt(pos) != ')') throw error(at, "unclosed '(': expected ')'");
                pos++;
                items.add(inner);
            } else if (c == '.') {
                pos++;
                items.add(GrammarExpr.CharClass.ANY);
            } else if (c == '*' || c == '+' || c == '?' || c == '{') {
                if (items.isEmpty()) throw error(at, "'" + c + "' has nothing before it to repeat");
                GrammarExpr last = items.removeLast();
                items.add(switch (c) {
                    case '*' -> { pos++; yield GrammarExpr.star(last); }
                    case '+' -> { pos++; yield GrammarExpr.plus(last); }
                    case '?' -> { pos++; yield GrammarExpr.optional(last); }
                    default -> counted(last);
                });
            } else if (c == '<') {
                throw error(at, "token references (<...>) are not supported; write the token's text as a literal");
            } else {
                break;
            }
            skipSpace(nested);
        }
        return items.size() == 1 ? items.getFirst() : new GrammarExpr.Sequence(items);
    }

    private GrammarExpr counted(GrammarExpr body) {
        int at = pos;
        pos++; // '{'
        skipSpace(false);
        int min = number();
        int max;
        skipSpace(false);
        if (pos < text.length() && text.charAt(pos) == ',') {
            pos++;
            skipSpace(false);
            max = pos < text.length() && Character.isDigit(text.charAt(pos)) ? number() : GrammarExpr.Repeat.UNBOUNDED;
            if (min < 0) min = 0;
        } else {
            if (min < 0) throw error(pos, "expected a number in '{...}'");
            max = min;
        }
        skipSpace(false);
        if (pos >= text.length() || text.charAt(pos) != '}') throw error(pos, "expected '}' to close the repetition");
        pos++;
        String problem = GrammarExpr.Repeat.problem(min, max);
        if (problem != null) throw error(at, "repetition " + problem);
        return new GrammarExpr.Repeat(body, min, max);
    }

    /** A decimal number, or -1 if none is here. */
    private int number() {
        int start = pos;
        while (pos < text.length() && Character.isDigit(text.charAt(pos))) pos++;
        if (start == pos) return -1;
        String digits = text.substring(start, pos);
        if (digits.length() > 6) throw error(start, "repetition count " + digits + " is too large");
        return Integer.parseInt(digits);
    }

    private String literal() {
        int start = pos - 1;
        StringBuilder out = new StringBuilder();
        while (true) {
            if (pos >= text.length() || text.charAt(pos) == '\n') throw error(start, "unterminated string literal");
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return out.toString();
            }
            out.appendCodePoint(character());
        }
    }

    private GrammarExpr.CharClass charClass() {
        int start = pos - 1;
        boolean negated = pos < text.length() && text.charAt(pos) == '^';
        if (negated) pos++;
        List<Integer> ranges = new ArrayList<>();
        while (true) {
            if (pos >= text.length() || text.charAt(pos) == '\n') throw error(start, "unterminated character class");
            if (text.charAt(pos) == ']') {
                pos++;
                break;
            }
            int lo = character();
            int hi = lo;
            if (pos + 1 < text.length() && text.charAt(pos) == '-' && text.charAt(pos + 1) != ']') {
                pos++;
                int at = pos;
                if (text.charAt(pos) == '\n') throw error(start, "unterminated character class");
                hi = character();
                if (hi < lo) throw error(at, "character range " + printable(lo) + "-" + printable(hi) + " is reversed");
            }
            ranges.add(lo);
            ranges.add(hi);
        }
        return GrammarExpr.CharClass.of(ranges.stream().mapToInt(Integer::intValue).toArray(), negated);
    }

    /** One (possibly escaped) character of a literal or class. */
    private int character() {
        int at = pos;
        int cp = text.codePointAt(pos);
        pos += Character.charCount(cp);
        if (cp != '\\') return cp;
        if (pos >= text.length()) throw error(at, "escape at the end of the grammar");
        char e = text.charAt(pos++);
        return switch (e) {
            case 'x' -> hex(at, 2);
            case 'u' -> hex(at, 4);
            case 'U' -> hex(at, 8);
            case 't' -> '\t';
            case 'r' -> '\r';
            case 'n' -> '\n';
            case '\\', '"', '[', ']', '-' -> e;
            default -> throw error(at, "unknown escape '\\" + printable(e) + "'");
        };
    }

    private int hex(int at, int digits) {
        if (pos + digits > text.length()) throw error(at, "expected " + digits + " hex digits after the escape");
        int value = 0;
        for (int i = 0; i < digits; i++) {
            int d = Character.digit(text.charAt(pos++), 16);
            if (d < 0) throw error(at, "expected " + digits + " hex digits after the escape");
            value = value * 16 + d;
        }
        if (value > GrammarExpr.MAX_CODE_POINT || (value >= 0xD800 && value <= 0xDFFF)) {
            throw error(at, String.format("escape \\U%08X is not a Unicode scalar value", value));
        }
        return value;
    }

    private String name() {
        int start = pos;
        while (pos < text.length() && isNameChar(text.charAt(pos))) pos++;
        return text.substring(start, pos);
    }

    private static boolean isNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }

    /** Skips blanks and comments; newlines too when {@code newlines}. */
    private void skipSpace(boolean newlines) {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ' ' || c == '\t') {
                pos++;
            } else if (c == '#') {
                while (pos < text.length() && text.charAt(pos) != '\n' && text.charAt(pos) != '\r') pos++;
            } else if (newlines && (c == '\n' || c == '\r')) {
                pos++;
            } else {
                return;
            }
        }
    }

    private GrammarException error(int at, String message) {
        return GrammarException.at("GBNF", text, at, message);
    }

    private static String printable(int cp) {
        if (cp < 0x20 || cp == 0x7F) return String.format("\\x%02X", cp);
        return new String(Character.toChars(cp));
    }
}
