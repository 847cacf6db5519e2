package dev.parley.inference.constrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

/** The token matcher on a small hand-made vocabulary: multi-byte, partial UTF-8, end-of-generation, forks, errors. */
class TokenMatcherTest {
    // ids:                                      0     1      2       3         4          5             6     7
    private static final byte[][] PIECES = {bytes("a"), bytes("b"), bytes("ab"), bytes("é"), new byte[] {(byte) 0xC3},
        new byte[] {(byte) 0xA9}, bytes("aé"), new byte[0] /* EOS */, bytes("c"), bytes("abab")};
    private static final int EOS = 7;
    private static final TokenVocabulary VOCAB = TokenVocabulary.ofPieces(PIECES, EOS);

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static BitSet ids(int... ids) {
        BitSet b = new BitSet();
        for (int id : ids) b.set(id);
        return b;
    }

    @Test
    void masksFollowTheGrammarAcrossMultiByteAndPartialUtf8Tokens() {
        TokenConstraint constraint = new TokenConstraint(Grammars.regex("(ab)+é").compile(), VOCAB);
        TokenMatcher m = constraint.newMatcher();
        assertEquals(ids(0, 2, 9), m.allowedTokens()); // "a", "ab", "abab"; not "aé", not EOS
        m.accept(2);
        assertEquals(ids(0, 2, 3, 4, 9), m.allowedTokens()); // another "ab", or "é" whole or its first byte
        m.accept(4); // half of "é"
        assertEquals(ids(5), m.allowedTokens());
        assertFalse(m.isComplete());
        m.accept(5);
        assertTrue(m.isComplete());
        assertFalse(m.canContinue());
        assertEquals(ids(EOS), m.allowedTokens());
        m.accept(EOS);
        assertTrue(m.hasEnded());
        assertEquals(new BitSet(), m.allowedTokens());
        assertThrows(IllegalStateException.class, () -> m.accept(0));
    }

    @Test
    void forksAreIndependentAndDisallowedTokensAreRefused() {
        TokenConstraint constraint = new TokenConstraint(Grammars.choice(java.util.List.of("ab", "abc", "b")).compile(), VOCAB);
        TokenMatcher m = constraint.newMatcher();
        m.accept(0);
        TokenMatcher fork = m.fork();
        fork.accept(1);
        assertTrue(fork.isComplete());
        assertTrue(fork.canContinue()); // "abc" is still possible
        assertEquals(ids(8, EOS), fork.allowedTokens());
        assertFalse(m.isComplete());
        assertEquals(ids(1), m.allowedTokens());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.accept(8));
        assertTrue(e.getMessage().contains("does not continue"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.accept(EOS));
        assertTrue(m.isAllowed(1));
        assertFalse(m.isAllowed(EOS));
        m.accept(1); // still usable after the refusals
        assertTrue(m.isComplete());
    }

    @Test
    void cachedMasksAreReusedAndEqualToFreshOnes() {
        TokenConstraint constraint = new TokenConstraint(Grammars.regex("(ab)*").compile(), VOCAB);
        TokenMatcher m = constraint.newMatcher();
        BitSet first = m.allowedTokens();
        m.accept(2);
        assertEquals(first, m.allowedTokens()); // same state after "ab": answered from the cache
        TokenConstraint.CacheStats stats = constraint.cacheStats();
        assertEquals(1, stats.misses());
        assertEquals(1, stats.hits());
        long transitions = constraint.grammar().states.transitionsComputed();
        assertEquals(BitSet.valueOf(constraint.computeMask(m.state())), m.allowedTokens());
        assertEquals(transitions, constraint.grammar().states.transitionsComputed(), "a second walk steps only cached transitions");
    }
}
