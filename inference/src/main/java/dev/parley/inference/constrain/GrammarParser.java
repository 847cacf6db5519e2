package dev.parley.inference.constrain;

/**
 * Byte-level matching against a {@link CompiledGrammar}: feed bytes, ask whether the text so far is complete. The
 * state is one reference to an interned {@link ParseState}, so {@link #fork()} is free. Not thread-safe (one per
 * sequence); the grammar it reads from is shared.
 */
public final class GrammarParser {
    private final CompiledGrammar grammar;
    private ParseState state;

    GrammarParser(CompiledGrammar grammar, ParseState state) {
        this.grammar = grammar;
        this.state = state;
    }

    /**
     * Reads the bytes; returns false, leaving the parser unchanged, if they do not continue a sentence of the
     * grammar (partial UTF-8 at the end is fine: the grammar is over bytes).
     */
    public boolean advance(byte[] bytes) {
        ParseState next = walk(state, bytes);
        if (next.isDead()) return false;
        state = next;
        return true;
    }

    /** Whether the text read so far is a whole sentence of the grammar. */
    public boolean isComplete() {
        return state.accepting;
    }

    /** Whether some byte can still follow (every state that can continue can also be completed). */
    public boolean canContinue() {
        return state.canContinue();
    }

    public GrammarParser fork() {
        return new GrammarParser(grammar, state);
    }

    private ParseState walk(ParseState from, byte[] bytes) {
        StateSpace space = grammar.states;
        synchronized (space.lock) {
            ParseState s = from;
            for (byte b : bytes) {
                s = space.step(s, b & 0xFF);
                if (s.isDead()) break;
            }
            return s;
        }
    }
}
