package dev.parley.inference.constrain;

import java.util.BitSet;

/**
 * The constraint state of one sequence: which tokens may come next, and advancing on the sampled one. Small (one
 * state reference) and cheap to {@link #fork()} (parallel sampling, speculative paths). Not thread-safe; the
 * {@link TokenConstraint} it reads from is shared and locked internally.
 */
public final class TokenMatcher {
    private final TokenConstraint constraint;
    private ParseState state;
    private boolean ended;

    TokenMatcher(TokenConstraint constraint, ParseState state) {
        this.constraint = constraint;
        this.state = state;
    }

    /**
     * Writes the allowed next tokens into {@code mask} (bit {@code id % 64} of word {@code id / 64}; at least
     * {@link TokenConstraint#maskWords()} words). End-of-generation tokens are allowed exactly when the output is
     * complete; after end-of-generation nothing is.
     */
    public void allowedTokens(long[] mask) {
        if (ended) {
            java.util.Arrays.fill(mask, 0, constraint.maskWords(), 0L);
            return;
        }
        long[] cached = constraint.mask(state);
        System.arraycopy(cached, 0, mask, 0, cached.length);
    }

    /** Words of the mask {@link #allowedTokens(long[])} writes. */
    public int maskWords() {
        return constraint.maskWords();
    }

    /** The allowed next tokens as a bit set (allocates; for tests and tools). */
    public BitSet allowedTokens() {
        long[] mask = new long[constraint.maskWords()];
        allowedTokens(mask);
        return BitSet.valueOf(mask);
    }

    /** Whether {@code token} may come next, without computing the whole mask. */
    public boolean isAllowed(int token) {
        if (ended) return false;
        TokenVocabulary vocabulary = constraint.vocabulary();
        if (vocabulary.isEndOfGeneration(token)) return state.accepting;
        if (!vocabulary.isText(token)) return false;
        return !constraint.step(state, vocabulary.piece(token)).isDead();
    }

    /**
     * Advances on the sampled token. A token the mask did not allow is an {@link IllegalArgumentException} (the
     * sampler must have masked it), and the matcher is unchanged.
     */
    public void accept(int token) {
        if (ended) throw new IllegalStateException("the constrained output already ended");
        TokenVocabulary vocabulary = constraint.vocabulary();
        if (vocabulary.isEndOfGeneration(token)) {
            if (!state.accepting) throw new IllegalArgumentException("end-of-generation token " + token + " before the output is complete");
            ended = true;
            return;
        }
        if (!vocabulary.isText(token)) throw new IllegalArgumentException("token " + token + " is not text and never allowed by a grammar");
        ParseState next = constraint.step(state, vocabulary.piece(token));
        if (next.isDead()) throw new IllegalArgumentException("token " + token + " does not continue the grammar");
        state = next;
    }

    /** Whether the output so far is a complete sentence (so end-of-generation is allowed). */
    public boolean isComplete() {
        return !ended && state.accepting;
    }

    /** Whether more text can follow; when false and {@link #isComplete()}, only end-of-generation is allowed. */
    public boolean canContinue() {
        return !ended && state.canContinue();
    }

    /** Whether end-of-generation was accepted. */
    public boolean hasEnded() {
        return ended;
    }

    ParseState state() {
        return state;
    }

    public TokenMatcher fork() {
        TokenMatcher copy = new TokenMatcher(constraint, state);
        copy.ended = ended;
        return copy;
    }
}
