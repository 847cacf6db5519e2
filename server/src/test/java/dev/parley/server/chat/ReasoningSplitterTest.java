package dev.parley.server.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The splitter gives the same reasoning and content however the text is cut into pieces. */
class ReasoningSplitterTest {
    private record Split(String reasoning, String content) {}

    private static Split whole(String text, boolean opened) {
        return pieces(List.of(text), opened);
    }

    private static Split pieces(List<String> parts, boolean opened) {
        ReasoningSplitter splitter = new ReasoningSplitter(opened);
        StringBuilder reasoning = new StringBuilder(), content = new StringBuilder();
        List<ReasoningSplitter.Piece> out = new ArrayList<>();
        for (String part : parts) out.addAll(splitter.accept(part));
        out.addAll(splitter.finish());
        for (ReasoningSplitter.Piece p : out) {
            switch (p) {
                case ReasoningSplitter.Reasoning r -> reasoning.append(r.text());
                case ReasoningSplitter.Content c -> content.append(c.text());
            }
        }
        assertEquals(splitter.reasoning(), reasoning.toString());
        assertEquals(splitter.content(), content.toString());
        return new Split(reasoning.toString(), content.toString());
    }

    /** Every way of cutting the text in two, and one character at a time, agree with the whole. */
    private static Split everyCut(String text, boolean opened) {
        Split expected = whole(text, opened);
        for (int cut = 0; cut <= text.length(); cut++) {
            assertEquals(expected, pieces(List.of(text.substring(0, cut), text.substring(cut)), opened), "cut at " + cut);
        }
        assertEquals(expected, pieces(text.chars().mapToObj(c -> String.valueOf((char) c)).toList(), opened), "by characters");
        return expected;
    }

    @Test void thinkingThenAnswer() {
        assertEquals(new Split("Two and two make four.", "It is 4."),
                everyCut("<think>\nTwo and two make four.</think>\n\nIt is 4.", false));
        assertEquals(new Split("hmm", "ok"), everyCut("  <think>hmm</think>ok", false));
    }

    @Test void aPromptThatOpenedTheBlockMakesTheFirstPartReasoning() {
        assertEquals(new Split("step one\n", "answer"), everyCut("step one\n</think>\n\nanswer", true));
        assertEquals(new Split("cut short by max_tokens </thi", ""), everyCut("cut short by max_tokens </thi", true));
    }

    @Test void withoutALeadingTagEverythingIsContent() {
        assertEquals(new Split("", "Plain answer with <think> inside </think> it"),
                everyCut("Plain answer with <think> inside </think> it", false));
        assertEquals(new Split("", "<thin"), everyCut("<thin", false));
        // Qwen3 with enable_thinking false: the template wrote an empty block; the model answers directly
        assertEquals(new Split("", "Direct."), everyCut("Direct.", false));
    }

    @Test void anUnclosedBlockIsAllReasoning() {
        assertEquals(new Split("still thinking", ""), everyCut("<think>still thinking", false));
        assertEquals(new Split("", ""), everyCut("<think>\n", false));
    }

    @Test void promptTails() {
        assertEquals(true, ReasoningSplitter.opensThinking("<｜Assistant｜><think>\n"));
        assertEquals(false, ReasoningSplitter.opensThinking("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
        assertEquals(false, ReasoningSplitter.opensThinking("<|im_start|>assistant\n"));
    }
}
