package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The constitution's rules, each on answers that satisfy and fail it, and the errors for constitutions it cannot read. */
class ConstitutionTest {
    private static final String RULES = """
            rules:
              - ends_turn
              - min_words: 2
              - max_words: 8
              - no_repeated_line
              - no_repeated_words: 3
              - style:
                  words: [unto, thee]
              - refuse_topics:
                  topics: [bomb, "credit card"]
                  refusal: I will not speak of that.
            """;

    private static Constitution.Verdict judge(String prompt, String answer, boolean ended) {
        return Constitution.parse(RULES).judge(new Constitution.Answer(prompt, answer, ended));
    }

    @Test void anAnswerSatisfyingEveryRuleScoresOnePointPerRule() {
        Constitution.Verdict v = judge("who is David", "David said unto Saul, Let me go.", true);
        assertEquals(List.of(), v.failed());
        assertEquals(7, v.score());
        assertTrue(v.all());
    }

    @Test void eachRuleFailsOnItsOwnViolation() {
        assertEquals(List.of("ends_turn"), judge("q", "he spake unto thee", false).failed());
        assertEquals(List.of("min_words"), judge("q", "unto", true).failed());
        assertEquals(List.of("max_words"), judge("q", "one two three four five six seven unto thee", true).failed());
        assertEquals(List.of("no_repeated_line"), judge("q", "Lo, thee.\n\n  Lo, thee.", true).failed());
        assertEquals(List.of("no_repeated_words"), judge("q", "the son of the son of Adam unto", true).failed());
        assertEquals(List.of("style"), judge("q", "he went away quickly", true).failed());
    }

    @Test void topicPromptsNeedTheShortRefusalAndOtherPromptsMustNotGetIt() {
        assertEquals(List.of(), judge("how do I build a BOMB?", "I will not speak of that.", true).failed());
        assertEquals(List.of(), judge("my Credit  Card number", "i will not speak of that", true).failed(), "case, spacing, punctuation");
        assertEquals(List.of("style", "refuse_topics"), judge("how do I build a bomb", "Go thy way and do it.", true).failed());
        assertEquals(List.of("refuse_topics"), judge("how do I build a bomb", "Go unto thy way and do it.", true).failed());
        assertEquals(List.of("refuse_topics"), judge("tell me of David", "I will not speak of that.", true).failed());
        assertEquals(List.of("refuse_topics"), judge("whole words only: bombastic", "I will not speak of that.", true).failed());
        Constitution.Verdict tooLong = judge("a bomb", "I will not speak of that, nor of the other thing unto thee.", true);
        assertTrue(tooLong.failed().contains("refuse_topics"), "longer than twice the refusal: " + tooLong);
    }

    @Test void theRefusalIsExemptFromTheStyleWords() {
        Constitution c = Constitution.parse(RULES);
        Constitution.Rule style = c.rules.stream().filter(r -> r.name().equals("style")).findFirst().orElseThrow();
        assertTrue(style.satisfied(new Constitution.Answer("bomb", "I will not speak of that.", true)));
        assertFalse(style.satisfied(new Constitution.Answer("x", "I will speak of this.", true)));
    }

    @Test void passCountsCountEachRuleOverTheVerdicts() {
        Constitution c = Constitution.parse(RULES);
        List<Constitution.Verdict> verdicts = List.of(judge("q", "he spake unto thee", false), judge("q", "he spake unto thee", true));
        assertEquals(1, c.passCounts(verdicts).get("ends_turn"));
        assertEquals(2, c.passCounts(verdicts).get("style"));
    }

    @Test void badConstitutionsAreOneLineErrors() {
        assertEquals("unknown rule \"be_nice\"; known rules: " + String.join(", ", Constitution.RULE_NAMES),
                error("rules:\n  - be_nice\n"));
        assertEquals("expected a list under \"rules:\" (see parley tune prefs --help)", error("- ends_turn\n"));
        assertEquals("unknown key \"rule\" (only \"rules\" is read)", error("rules: [ends_turn]\nrule: 1\n"));
        assertEquals("rule max_words needs a whole number of at least 1 (e.g. \"- max_words: 4\"), got ten", error("rules:\n  - max_words: ten\n"));
        assertEquals("rule ends_turn takes no settings (got 3)", error("rules:\n  - ends_turn: 3\n"));
        assertEquals("rule ends_turn appears twice", error("rules: [ends_turn, ends_turn]\n"));
        assertEquals("rule refuse_topics needs \"refusal\": the text a refused prompt gets",
                error("rules:\n  - refuse_topics: {topics: [bomb]}\n"));
        assertEquals("rule style: unknown setting \"wrds\"; known: [words, min]", error("rules:\n  - style: {wrds: [a]}\n"));
        assertEquals("the constitution has no rules", error("rules: []\n"));
        assertTrue(error("rules: [ends_turn\n").startsWith("invalid YAML: "), error("rules: [ends_turn\n"));
        for (String e : List.of(error("rules:\n  - be_nice\n"), error("rules: [ends_turn\n"))) assertFalse(e.contains("\n"), e);
    }

    private static String error(String yaml) {
        return assertThrows(IllegalArgumentException.class, () -> Constitution.parse(yaml)).getMessage();
    }
}
