package dev.parley.inference.constrain;

import java.util.ArrayList;
import java.util.List;

/**
 * Compiles a practical regular-expression subset (java.util.regex syntax, whole-string match like
 * {@code Matcher.matches()}) to the grammar IR: literals, {@code .} (any character but a line terminator),
 * classes with ranges and negation, {@code \d \D \w \W \s \S}, escapes ({@code \t \n \r \f \e \a}, {@code \xhh},
 * {@code \x{h..}}, the 4-digit u escape, an escaped punctuation character), groups {@code (...)}, {@code (?:...)},
 * {@code (?<name>...)}, alternation, and the quantifiers {@code * + ? {m} {m,} {m,n}} (lazy forms accepted: they
 * match the same strings). {@code ^} at the very start and {@code $} at the very end are accepted.
 *
 * <p>Refused with the column: backreferences, lookaround, word boundaries and other anchors, possessive
 * quantifiers, inline flags, Unicode property classes, class intersection and nested classes: none of them can be
 * expressed exactly here, and silently approximating them would let invalid output through.
 */
public final class RegexParser {
    /** java.util.regex's line terminators, which {@code .} does not match by default. */
    private static final GrammarExpr.CharClass LINE_TERMINATORS =
            GrammarExpr.CharClass.of(new int[] {'\n', '\n', '\r', '\r', 0x85, 0x85, 0x2028, 0x2029}, false);
    static final GrammarExpr.CharClass DOT = GrammarExpr.CharClass.ANY.minus(LINE_TERMINATORS);
    private static final GrammarExpr.CharClass DIGIT = GrammarExpr.CharClass.of(new int[] {'0', '9'}, false);
    private static final GrammarExpr.CharClass WORD =
            GrammarExpr.CharClass.of(new int[] {'a', 'z', 'A', 'Z', '0', '9', '_', '_'}, false);
    private static final GrammarExpr.CharClass SPACE =
            GrammarExpr.CharClass.of(new int[] {' ', ' ', '\t', '\t', '\n', '\n', 0x0B, 0x0B, '\f', '\f', '\r', '\r'}, false);

    private final String pattern;
    private int pos;

    private RegexParser(String pattern) {
        this.pattern = pattern;
    }

    /** The grammar (root rule {@code root}) of the strings {@code pattern} matches entirely. */
    public static Grammar parse(String pattern) {
        return new Grammar("root", java.util.Map.of("root", expression(pattern)));
    }

    /** The IR of a pattern, for embedding (JSON Schema {@code pattern}). */
    static GrammarExpr expression(String pattern) {
        RegexParser parser = new RegexParser(pattern);
        if (pattern.startsWith("^")) parser.pos = 1;
        GrammarExpr expr = parser.alternation();
        if (parser.pos < pattern.length()) {
            char c = pattern.charAt(parser.pos);
            if (c == ')') throw parser.error(parser.pos, "unmatched ')'");
            throw parser.error(parser.pos, "unexpected '" + c + "'");
        }
        return expr;
    }

    private GrammarExpr alternation() {
        List<GrammarExpr> alts = new ArrayList<>();
        alts.add(concatenation());
        while (pos < pattern.length() && pattern.charAt(pos) == '|') {
            pos++;
            alts.add(concatenation());
        }
        return alts.size() == 1 ? alts.getFirst() : new GrammarExpr.Choice(alts);
    }

    private GrammarExpr concatenation() {
        List<GrammarExpr> items = new ArrayList<>();
        while (pos < pattern.length()) {
            char c = pattern.charAt(pos);
            if (c == '|' || c == ')') break;
            if (c == '$') {
                if (pos == pattern.length() - 1) {
                    pos++;
                    break;
                }
                throw error(pos, "'$' is only supported at the end of the pattern");
            }
            if (c == '^') throw error(pos, "'^' is only supported at the start of the pattern");
            GrammarExpr atom = atom();
            items.add(quantified(atom));
        }
        return items.size() == 1 ? items.getFirst() : new GrammarExpr.Sequence(items);
    }

    private GrammarExpr quantified(GrammarExpr atom) {
        while (pos < pattern.length()) {
            char c = pattern.charAt(pos);
            int at = pos;
            int min;
            int max;
            if (c == '*') {
                pos++;
                min = 0;
                max = GrammarExpr.Repeat.UNBOUNDED;
            } else if (c == '+') {
                pos++;
                min = 1;
                max = GrammarExpr.Repeat.UNBOUNDED;
            } else if (c == '?') {
                pos++;
                min = 0;
                max = 1;
            } else if (c == '{') {
                pos++;
                min = number(at);
                if (min < 0) throw error(at, "expected a number after '{'");
                max = min;
                if (pos < pattern.length() && pattern.charAt(pos) == ',') {
                    pos++;
                    max = pos < pattern.length() && Character.isDigit(pattern.charAt(pos)) ? number(at) : GrammarExpr.Repeat.UNBOUNDED;
                }
                if (pos >= pattern.length() || pattern.charAt(pos) != '}') throw error(at, "expected '}' to close the quantifier");
                pos++;
                String problem = GrammarExpr.Repeat.problem(min, max);
                if (problem != null) throw error(at, "quantifier " + problem);
            } else {
                return atom;
            }
            if (pos < pattern.length() && pattern.charAt(pos) == '+') throw error(pos, "possessive quantifiers are not supported");
            if (pos < pattern.length() && pattern.charAt(pos) == '?') pos++; // lazy: same language
            atom = new GrammarExpr.Repeat(atom, min, max);
        }
        return atom;
    }

    private int number(int at) {
        int start = pos;
        while (pos < pattern.length() && Character.isDigit(pattern.charAt(pos))) pos++;
        if (start == pos) return -1;
        if (pos - start > 6) throw error(at, "quantifier count is too large");
        return Integer.parseInt(pattern.substring(start, pos));
    }

    private GrammarExpr atom() {
        int at = pos;
        int c = pattern.codePointAt(pos);
        switch (c) {
            case '(' -> {
                pos++;
                if (pattern.startsWith("?:", pos)) {
                    pos += 2;
                } else if (pattern.startsWith("?<", pos) && pos + 2 < pattern.length() && Character.isLetter(pattern.charAt(pos + 2))) {
                    int close = pattern.indexOf('>', pos);
                    if (close < 0) throw error(at, "unterminated group name");
                    pos = close + 1;
                } else if (pos < pattern.length() && pattern.charAt(pos) == '?') {
                    throw error(at, "lookaround, atomic groups and inline flags ((?...)) are not supported");
                }
                GrammarExpr inner = alternation();
                if (pos >= pattern.length() || pattern.charAt(pos) != ')') throw error(at, "unclosed '('");
                pos++;
                return inner;
            }
            case '[' -> {
                pos++;
                return charClass(at);
            }
            case '.' -> {
                pos++;
                return DOT;
            }
            case '\\' -> {
                return escape(false);
            }
            case '*', '+', '?', '{' -> throw error(at, "'" + (char) c + "' has nothing before it to repeat");
            default -> {
                pos += Character.charCount(c);
                return GrammarExpr.CharClass.single(c);
            }
        }
    }

    private GrammarExpr.CharClass charClass(int start) {
        boolean negated = pos < pattern.length() && pattern.charAt(pos) == '^';
        if (negated) pos++;
        GrammarExpr.CharClass set = new GrammarExpr.CharClass(new int[0]);
        boolean first = true;
        while (true) {
            if (pos >= pattern.length()) throw error(start, "unclosed character class");
            char c = pattern.charAt(pos);
            if (c == ']' && !first) {
                pos++;
                break;
            }
            if (c == ']') throw error(pos, "empty character class");
            if (c == '[') throw error(pos, "nested character classes are not supported");
            if (c == '&' && pattern.startsWith("&&", pos)) throw error(pos, "class intersection (&&) is not supported");
            first = false;
            GrammarExpr.CharClass lo = classAtom();
            if (pos + 1 < pattern.length() && pattern.charAt(pos) == '-' && pattern.charAt(pos + 1) != ']') {
                int dash = pos;
                pos++;
                GrammarExpr.CharClass hi = classAtom();
                if (!isSingle(lo) || !isSingle(hi)) throw error(dash, "a range needs single characters at both ends");
                if (hi.ranges()[0] < lo.ranges()[0]) throw error(dash, "character range is reversed");
                set = set.union(GrammarExpr.CharClass.of(new int[] {lo.ranges()[0], hi.ranges()[0]}, false));
            } else {
                set = set.union(lo);
            }
        }
        return negated ? GrammarExpr.CharClass.ANY.minus(set) : set;
    }

    private static boolean isSingle(GrammarExpr.CharClass cc) {
        return cc.ranges().length == 2 && cc.ranges()[0] == cc.ranges()[1];
    }

    private GrammarExpr.CharClass classAtom() {
        if (pattern.charAt(pos) == '\\') return escape(true);
        int c = pattern.codePointAt(pos);
        pos += Character.charCount(c);
        return GrammarExpr.CharClass.single(c);
    }

    private GrammarExpr.CharClass escape(boolean inClass) {
        int at = pos;
        pos++;
        if (pos >= pattern.length()) throw error(at, "escape at the end of the pattern");
        char e = pattern.charAt(pos++);
        return switch (e) {
            case 'd' -> DIGIT;
            case 'D' -> GrammarExpr.CharClass.ANY.minus(DIGIT);
            case 'w' -> WORD;
            case 'W' -> GrammarExpr.CharClass.ANY.minus(WORD);
            case 's' -> SPACE;
            case 'S' -> GrammarExpr.CharClass.ANY.minus(SPACE);
            case 't' -> GrammarExpr.CharClass.single('\t');
            case 'n' -> GrammarExpr.CharClass.single('\n');
            case 'r' -> GrammarExpr.CharClass.single('\r');
            case 'f' -> GrammarExpr.CharClass.single('\f');
            case 'e' -> GrammarExpr.CharClass.single(0x1B);
            case 'a' -> GrammarExpr.CharClass.single(0x07);
            case 'x' -> GrammarExpr.CharClass.single(hexEscape(at));
            case 'u' -> GrammarExpr.CharClass.single(fixedHex(at, 4));
            case 'b', 'B', 'A', 'z', 'Z', 'G' -> throw error(at, "anchor '\\" + e + "' is not supported");
            case 'p', 'P' -> throw error(at, "Unicode property classes (\\" + e + "{...}) are not supported");
            case 'k' -> throw error(at, "backreferences are not supported");
            case 'Q' -> throw error(at, "quoting (\\Q...\\E) is not supported");
            default -> {
                if (e >= '0' && e <= '9') {
                    throw error(at, e == '0' ? "octal escapes are not supported" : "backreferences are not supported");
                }
                if (Character.isLetter(e)) throw error(at, "unknown escape '\\" + e + "'");
                yield GrammarExpr.CharClass.single(e); // escaped punctuation is itself
            }
        };
    }

    private int hexEscape(int at) {
        if (pos < pattern.length() && pattern.charAt(pos) == '{') {
            int close = pattern.indexOf('}', pos);
            if (close < 0 || close == pos + 1 || close - pos > 7) throw error(at, "bad \\x{...} escape");
            int value;
            try {
                value = Integer.parseInt(pattern.substring(pos + 1, close), 16);
            } catch (NumberFormatException ex) {
                throw error(at, "bad \\x{...} escape");
            }
            pos = close + 1;
            if (value > GrammarExpr.MAX_CODE_POINT) throw error(at, "code point above U+10FFFF");
            return value;
        }
        return fixedHex(at, 2);
    }

    private int fixedHex(int at, int digits) {
        if (pos + digits > pattern.length()) throw error(at, "expected " + digits + " hex digits");
        int value = 0;
        for (int i = 0; i < digits; i++) {
            int d = Character.digit(pattern.charAt(pos++), 16);
            if (d < 0) throw error(at, "expected " + digits + " hex digits");
            value = value * 16 + d;
        }
        if (value >= 0xD800 && value <= 0xDFFF) throw error(at, "surrogate escapes are not supported");
        return value;
    }

    private GrammarException error(int at, String message) {
        return new GrammarException("regex error at column " + (pattern.codePointCount(0, Math.min(at, pattern.length())) + 1)
                + " of /" + pattern + "/: " + message);
    }
}
