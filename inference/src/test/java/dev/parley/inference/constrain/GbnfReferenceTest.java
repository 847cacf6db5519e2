package dev.parley.inference.constrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * GBNF grammars whose language an independent checker decides: arithmetic expressions (a hand-written
 * recursive-descent parser), JSON written in GBNF (Jackson), and GBNF twins of regular expressions
 * (java.util.regex), each on strings near the language.
 */
class GbnfReferenceTest {
    static final String ARITHMETIC = """
            # arithmetic with precedence, unary minus, parentheses and optional blanks
            root   ::= expr
            expr   ::= term (ws [-+] ws term)*
            term   ::= factor (ws [*/] ws factor)*
            factor ::= number | "(" ws expr ws ")" | "-" factor
            number ::= [0-9]+ ("." [0-9]{1,3})?
            ws     ::= [ \\t]?
            """;

    static final String JSON = """
            root   ::= ws value
            value  ::= object | array | string | number | ("true" | "false" | "null")

            object ::=
              "{" ws (
                        string ws ":" ws value ws
                ("," ws string ws ":" ws value ws)*
              )? "}"

            array  ::=
              "[" ws (
                        value ws
                ("," ws value ws)*
              )? "]"

            string ::=
              "\\"" (
                [^"\\\\\\x7F\\x00-\\x1F] |
                "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
              )* "\\""

            number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9]+)?
            ws     ::= | " " | "\\n" [ \\t]{0,20}
            """;

    @Test
    void arithmeticAgreesWithARecursiveDescentParser() {
        CompiledGrammar grammar = Grammars.gbnf(ARITHMETIC).compile();
        RandomText text = new RandomText(grammar, new Random(3), "0123456789+-*/(). \t");
        int accepted = 0;
        for (String s : text.samples(3000, 60)) {
            boolean ours = grammar.matches(s);
            assertEquals(new Arithmetic(s).valid(), ours, () -> "\"" + s + "\"");
            if (ours) accepted++;
        }
        assertTrue(accepted > 300, "accepted " + accepted);
    }

    @Test
    void jsonInGbnfAgreesWithJackson() {
        CompiledGrammar grammar = Grammars.gbnf(JSON).compile();
        RandomText text = new RandomText(grammar, new Random(5), "{}[]\":,truefalsenull0123456789.eE+-\\u \n");
        int accepted = 0;
        for (String s : text.samples(1500, 80)) {
            boolean ours = grammar.matches(s);
            JsonNode node = JsonReference.parse(s);
            if (ours) {
                accepted++;
                assertTrue(node != null, () -> "accepted but not JSON: " + s);
            } else if (node != null && JsonSchemaReferenceTest.inNormalForm(s, node) && !s.contains("\u007f")
                    && !Pattern.compile("[0-9]{17}").matcher(s).find()) {
                // this grammar excludes DEL and integers of more than 16 digits (llama.cpp's json.gbnf does too)
                fail("valid JSON in normal form rejected: " + s);
            }
        }
        assertTrue(accepted > 150, "accepted " + accepted);
    }

    static Stream<Arguments> regexTwins() {
        return Stream.of(
                Arguments.of("root ::= [a-c]{2,3} (\"x\" | \"yz\")* [^a-z\\n]? \"\\u00e9\"", "[a-c]{2,3}(x|yz)*[^a-z\\n]?\\u00e9"),
                Arguments.of("root ::= (\"ab\"+ | \"c\"{,2})+ d\nd ::= \"d\"? [\\x30-\\x39]", "(?:(?:ab)+|c{0,2})+d?[0-9]"),
                Arguments.of("root ::= . . [😀-🙏]* \"\\U0001F600\"?", "(?s)..[😀-🙏]*😀?"),
                Arguments.of("root ::= a\na ::= \"x\" a | \"y\"  # right recursion", "x*y"),
                Arguments.of("root ::= (\n  \"a\" | # first\n  \"b\"\n) \"c\"?\n\n# the end\n", "(a|b)c?"));
    }

    @ParameterizedTest
    @MethodSource("regexTwins")
    void gbnfTwinsOfRegexesAgreeWithJavaRegex(String gbnf, String regex) {
        Pattern reference = Pattern.compile(regex);
        CompiledGrammar grammar = Grammars.gbnf(gbnf).compile();
        RandomText text = new RandomText(grammar, new Random(gbnf.hashCode()), "abcdxyz09é😀\n");
        int accepted = 0;
        for (String s : text.samples(600, 30)) {
            boolean ours = grammar.matches(s);
            assertEquals(reference.matcher(s).matches(), ours, () -> gbnf + " on \"" + s + "\"");
            if (ours) accepted++;
        }
        assertTrue(accepted > 60, "accepted " + accepted);
    }

    /** expr := term (ws [-+] ws term)*, term := factor (ws [*\/] ws factor)*, factor := number | ( expr ) | -factor. */
    static final class Arithmetic {
        private final String s;
        private int pos;

        Arithmetic(String s) {
            this.s = s;
        }

        boolean valid() {
            return expr() && pos == s.length();
        }

        private boolean expr() {
            return operations("+-", this::term);
        }

        private boolean term() {
            return operations("*/", this::factor);
        }

        /** operand (blank? op blank? operand)*, stopping before an operator that has no operand after it. */
        private boolean operations(String operators, java.util.function.BooleanSupplier operand) {
            if (!operand.getAsBoolean()) return false;
            while (true) {
                int save = pos;
                blank();
                if (pos < s.length() && operators.indexOf(s.charAt(pos)) >= 0) {
                    pos++;
                    blank();
                    if (operand.getAsBoolean()) continue;
                }
                pos = save;
                return true;
            }
        }

        private boolean factor() {
            if (pos >= s.length()) return false;
            char c = s.charAt(pos);
            if (c == '(') {
                pos++;
                blank();
                if (!expr()) return false;
                blank();
                if (pos >= s.length() || s.charAt(pos) != ')') return false;
                pos++;
                return true;
            }
            if (c == '-') {
                pos++;
                return factor();
            }
            int start = pos;
            while (pos < s.length() && Character.isDigit(s.charAt(pos)) && s.charAt(pos) < 128) pos++;
            if (pos == start) return false;
            if (pos < s.length() && s.charAt(pos) == '.') {
                int dot = pos++;
                int digits = 0;
                while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9' && digits < 3) {
                    pos++;
                    digits++;
                }
                if (digits == 0) pos = dot;
            }
            return true;
        }

        /** One optional blank: after it, the grammar needs something else (a greedy choice is safe here). */
        private void blank() {
            if (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) pos++;
        }
    }
}
