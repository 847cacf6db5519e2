package dev.parley.inference.sampling;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopMatcherTest {

    @Test
    void noStopsEmitsEverythingAtOnce() {
        StopMatcher m = new StopMatcher(List.of());
        assertEquals(new StopMatcher.Result("hello", false), m.feed("hello"));
        assertEquals("", m.flush());
    }

    @Test
    void stopStringSplitAcrossDeltasIsNotEmitted() {
        StopMatcher m = new StopMatcher(List.of("</s>"));
        assertEquals(new StopMatcher.Result("Hello ", false), m.feed("Hello <"));
        assertEquals(new StopMatcher.Result("", false), m.feed("/s"));
        assertEquals(new StopMatcher.Result("", true), m.feed("> trailing"));
        assertTrue(m.stopped());
        assertEquals(new StopMatcher.Result("", true), m.feed("more"));
        assertEquals("", m.flush());
    }

    @Test
    void textBeforeTheStopInTheSameDeltaIsEmitted() {
        StopMatcher m = new StopMatcher(List.of("STOP"));
        assertEquals(new StopMatcher.Result("ab", false), m.feed("ab"));
        assertEquals(new StopMatcher.Result("cd", true), m.feed("cdSTOPef"));
    }

    @Test
    void heldPrefixIsReleasedWhenItStopsMatching() {
        StopMatcher m = new StopMatcher(List.of("</s>"));
        assertEquals(new StopMatcher.Result("a ", false), m.feed("a </"));
        assertEquals(new StopMatcher.Result("</b", false), m.feed("b"));
    }

    @Test
    void holdsTheLongestSuffixThatCouldStartAStop() {
        StopMatcher m = new StopMatcher(List.of("aab"));
        assertEquals(new StopMatcher.Result("a", false), m.feed("aaa"));
        assertEquals(new StopMatcher.Result("", true), m.feed("b"));
    }

    @Test
    void multipleStopsTheEarliestWins() {
        StopMatcher m = new StopMatcher(List.of("STOP", "END"));
        assertEquals(new StopMatcher.Result("xx", true), m.feed("xxENDyySTOP"));

        StopMatcher overlapping = new StopMatcher(List.of("bc", "abc"));
        assertEquals(new StopMatcher.Result("x", true), overlapping.feed("xabc"));

        StopMatcher split = new StopMatcher(List.of("ab", "bc"));
        assertEquals(new StopMatcher.Result("x", false), split.feed("xa"));
        assertEquals(new StopMatcher.Result("", true), split.feed("b"));
    }

    @Test
    void flushReleasesHeldTextWhenGenerationEndsOtherwise() {
        StopMatcher m = new StopMatcher(List.of("<|end|>"));
        assertEquals(new StopMatcher.Result("hi ", false), m.feed("hi <|e"));
        assertEquals("<|e", m.flush());
        assertEquals("", m.flush());
    }

    @Test
    void rejectsEmptyStopStrings() {
        assertThrows(IllegalArgumentException.class, () -> new StopMatcher(List.of("")));
    }
}
