package dev.parley.inference.constrain;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A compiled grammar bound to a model's vocabulary: computes which tokens may come next in a parse state, and
 * caches those masks. Shared by every sequence that decodes under the same grammar with the same model (cache it
 * next to the compiled grammar); each sequence gets its own small {@link TokenMatcher}.
 *
 * <p>A mask is computed by one walk over the vocabulary's token trie from the state: each trie edge is one cached
 * automaton step, and a rejected prefix skips its whole subtree. Because an interned state determines everything
 * that can follow, its mask can be cached as is (the idea behind xgrammar's adaptive token-mask cache, at state
 * rather than grammar-position granularity): decoding a JSON string revisits the same state token after token. The
 * cache is an LRU bounded in bytes.
 */
public final class TokenConstraint {
    /** Memory for cached masks per constraint; at 152k tokens a mask is 19 KB, so about 1,700 masks. */
    static final long MASK_CACHE_BYTES = 32L << 20;

    private final CompiledGrammar grammar;
    private final TokenVocabulary vocabulary;
    private final int words;
    private final Map<ParseState, long[]> masks;
    private final ParseState[] walkStack;
    private long hits;
    private long misses;

    public TokenConstraint(CompiledGrammar grammar, TokenVocabulary vocabulary) {
        this(grammar, vocabulary, MASK_CACHE_BYTES);
    }

    /** With {@code maskCacheBytes} for cached masks (at least 16 masks are kept whatever the budget). */
    public TokenConstraint(CompiledGrammar grammar, TokenVocabulary vocabulary, long maskCacheBytes) {
        this.grammar = grammar;
        this.vocabulary = vocabulary;
        this.words = (vocabulary.size() + 63) >>> 6;
        int maxEntries = (int) Math.max(16, Math.min(Integer.MAX_VALUE, maskCacheBytes / (8L * words)));
        this.masks = new LinkedHashMap<>(256, 0.75f, true) {
            @Override protected boolean removeEldestEntry(Map.Entry<ParseState, long[]> eldest) {
                return size() > maxEntries;
            }
        };
        this.walkStack = new ParseState[vocabulary.maxDepth + 1];
    }

    public CompiledGrammar grammar() {
        return grammar;
    }

    public TokenVocabulary vocabulary() {
        return vocabulary;
    }

    /** A matcher at the start of the grammar. */
    public TokenMatcher newMatcher() {
        return new TokenMatcher(this, grammar.states.start());
    }

    /** Mask lookups answered from the cache, and those that walked the trie. */
    public synchronized CacheStats cacheStats() {
        return new CacheStats(hits, misses, masks.size());
    }

    public record CacheStats(long hits, long misses, int entries) {
        public double hitRate() {
            return hits + misses == 0 ? 0 : (double) hits / (hits + misses);
        }
    }

    /** Number of 64-bit words in a mask. */
    public int maskWords() {
        return words;
    }

    /** The cached (shared, read-only) mask of {@code state}. */
    synchronized long[] mask(ParseState state) {
        long[] mask = masks.get(state);
        if (mask != null) {
            hits++;
            return mask;
        }
        misses++;
        mask = computeMask(state);
        masks.put(state, mask);
        return mask;
    }

    /** The mask of the matcher's state computed afresh by a trie walk, bypassing the cache (benchmarks, checks). */
    public long[] computeMask(TokenMatcher matcher) {
        return computeMask(matcher.state());
    }

    /** Walks the token trie once from {@code state}; no cache. */
    long[] computeMask(ParseState state) {
        long[] mask = new long[words];
        if (state.accepting) for (int id : vocabulary.endOfGenerationIds()) mask[id >>> 6] |= 1L << id;
        if (!state.canContinue()) return mask;
        StateSpace space = grammar.states;
        ParseState dead = space.dead();
        byte[] classOf = grammar.byteClass;
        byte[] edgeByte = vocabulary.edgeByte;
        int[] depth = vocabulary.depth;
        int[] subtreeEnd = vocabulary.subtreeEnd;
        int[] tokenStart = vocabulary.tokenStart;
        int[] tokens = vocabulary.trieTokens;
        ParseState[] stack = walkStack;
        int nodes = edgeByte.length;
        synchronized (space.lock) {
            stack[0] = state;
            int i = 0;
            while (i < nodes) {
                ParseState parent = stack[depth[i] - 1];
                int b = edgeByte[i] & 0xFF;
                ParseState[] next = parent.next;
                ParseState s = next == null ? null : next[classOf[b] & 0xFF];
                if (s == null) s = space.step(parent, b);
                if (s == dead) {
                    i = subtreeEnd[i];
                    continue;
                }
                stack[depth[i]] = s;
                for (int k = tokenStart[i], end = tokenStart[i + 1]; k < end; k++) {
                    int id = tokens[k];
                    mask[id >>> 6] |= 1L << id;
                }
                i++;
            }
        }
        return mask;
    }

    ParseState step(ParseState state, byte[] bytes) {
        StateSpace space = grammar.states;
        synchronized (space.lock) {
            ParseState s = state;
            for (byte b : bytes) {
                s = space.step(s, b & 0xFF);
                if (s.isDead()) return s;
            }
            return s;
        }
    }
}
