package dev.parley.inference.constrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The regex front end and the byte-level recognizer against java.util.regex, on strings near each pattern's
 * language: whole-string acceptance must agree with {@code Matcher.matches()}, and a string the recognizer keeps
 * alive as an unfinished prefix must be one on which the regex engine hit the end of the input.
 */
class RegexReferenceTest {
    private static final int SAMPLES = 400;

    @ParameterizedTest
    @ValueSource(strings = {
        "[a-z]+@[a-z]+\\.(com|org)",
        "\\d{3}-\\d{4}",
        "(ab|a)*b?c{2,4}",
        "[^\\n]{0,5}x",
        "-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?",
        "\\w+(\\s\\w+)*",
        "[αβγ]+ü?",
        "\\u00e9t\\u00e9|summer|\\x41\\x{1F600}",
        "(?:[A-F0-9]{2}:){2}[A-F0-9]{2}",
        "a.b.",
        "[^abc]*",
        "(?<year>\\d{4})-(0[1-9]|1[0-2])",
        "x*?y+?z??",
        "^\\$\\d+(\\.\\d\\d)?$",
        "😀+|[\\x{1F600}-\\x{1F64F}]{2}",
        "[\\w&&[^x]]",
        "(a|)+b",
        "[-a]\\S\\D\\W[.][\\]\\[]",
    })
    void acceptanceAgreesWithJavaRegex(String pattern) {
        if (pattern.contains("&&")) return; // class intersection: refused, covered by BadInputTest
        Pattern reference = Pattern.compile(pattern);
        CompiledGrammar grammar = Grammars.regex(pattern).compile();
        RandomText text = new RandomText(grammar, new Random(pattern.hashCode()), pattern.replaceAll("[\\\\^$]", ""));
        int accepted = 0;
        for (String s : text.samples(SAMPLES, 40)) {
            GrammarParser parser = grammar.newParser();
            boolean alive = parser.advance(s.getBytes(StandardCharsets.UTF_8));
            boolean ours = alive && parser.isComplete();
            Matcher m = reference.matcher(s);
            boolean theirs = m.matches();
            assertEquals(theirs, ours, () -> "/" + pattern + "/ on \"" + s + "\"");
            if (alive && !ours) assertTrue(m.hitEnd(), () -> "/" + pattern + "/: \"" + s + "\" kept alive but the regex cannot extend it");
            if (ours) accepted++;
        }
        assertTrue(accepted > SAMPLES / 10, "too few accepted samples to mean anything: " + accepted);
    }
}
