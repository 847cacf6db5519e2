package dev.parley.server.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Separates a reasoning model's thinking from its answer as the text streams (DeepSeek-R1 / Qwen3 style
 * {@code <think>…</think>}, llama.cpp's {@code --reasoning-format deepseek}): text inside the tags is reasoning,
 * text after the closing tag is content. A reply is recognized as thinking only when it opens with the tag (after
 * white space), or when the prompt already opened it (templates that pre-fill {@code <think>} for the model); a tag
 * later in the answer is the answer's own text. A possible partial tag at the end of a piece is held back until the
 * next piece tells. White space right after either tag is dropped (models write {@code </think>\n\n}). One per reply;
 * not thread-safe (a reply's pieces arrive on one context).
 */
public final class ReasoningSplitter {
    public static final String OPEN = "<think>", CLOSE = "</think>";

    /** A run of the reply's text: thinking or answer. */
    public sealed interface Piece permits Reasoning, Content {
        String text();
    }

    public record Reasoning(String text) implements Piece {}

    public record Content(String text) implements Piece {}

    /** Before the reply shows its kind; white space after a tag; inside the thinking; the answer. */
    private enum State { START, THINKING_LEAD, THINKING, ANSWER_LEAD, ANSWER }

    private State state;
    /** Text not yet given out: a possible partial tag, or white space whose place is not known yet. */
    private final StringBuilder held = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder(), content = new StringBuilder();

    /** @param promptOpenedThinking the rendered prompt ends inside an open {@code <think>} (the template pre-filled it) */
    public ReasoningSplitter(boolean promptOpenedThinking) {
        state = promptOpenedThinking ? State.THINKING_LEAD : State.START;
    }

    /** Whether a rendered prompt's tail leaves the model inside a thinking block it has to close. */
    public static boolean opensThinking(String promptTail) {
        return promptTail.stripTrailing().endsWith(OPEN);
    }

    /** The reasoning and content in {@code text}, in order (empty while held back). */
    public List<Piece> accept(String text) {
        held.append(text);
        List<Piece> out = new ArrayList<>(2);
        while (!held.isEmpty() && step(out)) {
            // each step consumes some of the held text or changes state
        }
        return out;
    }

    /** The end of the reply: what was held back, as the kind it was in (a thinking block never closed is reasoning). */
    public List<Piece> finish() {
        List<Piece> out = new ArrayList<>(1);
        String rest = held.toString();
        held.setLength(0);
        switch (state) {
            case THINKING -> emit(out, reasoning(rest));
            case START, ANSWER -> emit(out, content(rest));
            case THINKING_LEAD, ANSWER_LEAD -> { } // white space next to a tag
        }
        return out;
    }

    /** All reasoning given out so far (without the tags), and all content. */
    public String reasoning() { return reasoning.toString(); }
    public String content() { return content.toString(); }

    /** Consumes what it can of {@link #held}; false when the rest must wait for more text. */
    private boolean step(List<Piece> out) {
        switch (state) {
            case START -> {
                String rest = held.substring(leadingWhitespace());
                if (rest.isEmpty() || OPEN.startsWith(rest) && !rest.equals(OPEN)) return false; // not told yet
                if (rest.startsWith(OPEN)) {
                    held.setLength(0);
                    held.append(rest, OPEN.length(), rest.length());
                    state = State.THINKING_LEAD;
                } else {
                    state = State.ANSWER;
                }
                return true;
            }
            case THINKING_LEAD, ANSWER_LEAD -> {
                held.delete(0, leadingWhitespace());
                if (held.isEmpty()) return false;
                state = state == State.THINKING_LEAD ? State.THINKING : State.ANSWER;
                return true;
            }
            case THINKING -> {
                int end = held.indexOf(CLOSE);
                if (end >= 0) {
                    emit(out, reasoning(held.substring(0, end)));
                    held.delete(0, end + CLOSE.length());
                    state = State.ANSWER_LEAD;
                    return true;
                }
                int keep = partialSuffix(CLOSE);
                emit(out, reasoning(held.substring(0, held.length() - keep)));
                held.delete(0, held.length() - keep);
                return false;
            }
            case ANSWER -> {
                emit(out, content(held.toString()));
                held.setLength(0);
                return false;
            }
        }
        throw new AssertionError(state);
    }

    private Piece reasoning(String text) {
        reasoning.append(text);
        return new Reasoning(text);
    }

    private Piece content(String text) {
        content.append(text);
        return new Content(text);
    }

    private static void emit(List<Piece> out, Piece piece) {
        if (!piece.text().isEmpty()) out.add(piece);
    }

    private int leadingWhitespace() {
        int i = 0;
        while (i < held.length() && Character.isWhitespace(held.charAt(i))) i++;
        return i;
    }

    /** Length of the longest end of {@link #held} that is a proper prefix of {@code tag}. */
    private int partialSuffix(String tag) {
        for (int n = Math.min(tag.length() - 1, held.length()); n > 0; n--) {
            if (held.substring(held.length() - n).equals(tag.substring(0, n))) return n;
        }
        return 0;
    }
}
