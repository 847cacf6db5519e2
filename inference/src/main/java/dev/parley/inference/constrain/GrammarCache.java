package dev.parley.inference.constrain;

import dev.parley.inference.tokenizer.Tokenizer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One model's compiled grammars, bound to its vocabulary: a request's {@link GrammarSource} is compiled the first
 * time it is seen and the {@link TokenConstraint} (with its mask cache) is shared by every later request with the
 * same kind and text. LRU, bounded in entries; each entry's mask cache is bounded in bytes, so the whole cache holds
 * at most {@code maxGrammars x maskCacheBytes} of masks. Thread-safe: compilation runs on the calling thread,
 * outside the lock (callers compile off the event loop), and concurrent requests for one source wait for a single
 * compilation. A source that fails to compile is not kept.
 */
public final class GrammarCache {
    /** Defaults for a server: 32 grammars of 8 MB masks each (2,000 masks of a 32k vocabulary, 430 of a 152k one). */
    public static final int DEFAULT_MAX_GRAMMARS = 32;
    public static final long DEFAULT_MASK_CACHE_BYTES = 8L << 20;

    private final Tokenizer tokenizer;
    private final long maskCacheBytes;
    private final Map<GrammarSource, CompletableFuture<TokenConstraint>> entries;
    private TokenVocabulary vocabulary;
    private long compilations;

    public GrammarCache(Tokenizer tokenizer) {
        this(tokenizer, DEFAULT_MAX_GRAMMARS, DEFAULT_MASK_CACHE_BYTES);
    }

    public GrammarCache(Tokenizer tokenizer, int maxGrammars, long maskCacheBytes) {
        if (maxGrammars < 1) throw new IllegalArgumentException("maxGrammars must be >= 1 (got " + maxGrammars + ")");
        this.tokenizer = tokenizer;
        this.maskCacheBytes = maskCacheBytes;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override protected boolean removeEldestEntry(Map.Entry<GrammarSource, CompletableFuture<TokenConstraint>> eldest) {
                return size() > maxGrammars;
            }
        };
    }

    /** The model's vocabulary as constraints see it, built on first use (a walk over every token). */
    public synchronized TokenVocabulary vocabulary() {
        if (vocabulary == null) vocabulary = TokenVocabulary.of(tokenizer);
        return vocabulary;
    }

    /**
     * The constraint for {@code source}, compiled now unless cached. Blocking (milliseconds for a typical schema):
     * call it off an event loop.
     *
     * @throws GrammarException when the source is malformed or uses something unsupported (the client's error)
     */
    public TokenConstraint constraint(GrammarSource source) {
        CompletableFuture<TokenConstraint> entry;
        boolean compileHere = false;
        synchronized (this) {
            entry = entries.get(source);
            if (entry == null) {
                entry = new CompletableFuture<>();
                entries.put(source, entry);
                compileHere = true;
                compilations++;
            }
        }
        if (compileHere) {
            try {
                entry.complete(new TokenConstraint(source.grammar().compile(), vocabulary(), maskCacheBytes));
            } catch (RuntimeException | Error e) {
                synchronized (this) {
                    entries.remove(source, entry);
                }
                entry.completeExceptionally(e);
            }
        }
        try {
            return entry.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) throw cause;
            if (e.getCause() instanceof Error cause) throw cause;
            throw e;
        }
    }

    /** How many sources were compiled (cache misses), and how many are held now. */
    public synchronized Stats stats() {
        return new Stats(compilations, entries.size());
    }

    public record Stats(long compilations, int cached) {}
}
