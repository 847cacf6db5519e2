package dev.parley.inference.engine;

import dev.parley.inference.kv.BlockTable;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.Sampler;
import dev.parley.inference.sampling.StopMatcher;
import dev.parley.inference.tokenizer.StreamDecoder;
import dev.parley.inference.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * One request as a state machine: WAITING until admitted, then PREFILL (prompt fed in chunks), DECODING (one token per
 * step), FINISHED. It owns its sampler, detokenizer, stop matcher and block table; the scheduler decides which
 * tokens it feeds in a step (and may preempt it back to WAITING, dropping its cache to recompute it later), and the
 * model runner only computes.
 *
 * <p>Prefill and decode are one mechanism: the sequence's tokens are the prompt followed by everything sampled, and
 * each step computes the next not-yet-cached ones; when the last one is computed its logits give the next token.
 */
final class Sequence implements RequestHandle {
    enum State { WAITING, PREFILL, DECODING, FINISHED }

    private final long id;
    private final GenerationRequest request;
    private final GenerationListener listener;
    private final Tokenizer tokenizer;
    private final int maxTokens;
    private final int contextLength;
    private final long submitNanos = System.nanoTime();
    private volatile boolean cancelRequested;
    private volatile State state = State.WAITING;

    private Sampler sampler;
    private StreamDecoder decoder;
    private StopMatcher stops;
    private boolean started;
    private final BlockTable table = new BlockTable();
    /** The prompt, then the sampled tokens. */
    private int[] tokens;
    private int generatedCount;
    /** Tokens whose keys and values are in the cache. */
    private int cached;
    private final StringBuilder text = new StringBuilder();
    private long firstTokenNanos = -1;
    /** Set at the first admission: when, and how many prompt tokens the prefix cache supplied. */
    private long admittedNanos = -1;
    private int admittedCachedTokens;

    Sequence(long id, GenerationRequest request, GenerationListener listener, Model model) {
        this.id = id;
        this.request = request;
        this.listener = listener;
        this.tokenizer = model.tokenizer();
        this.contextLength = model.config().contextLength();
        int max = request.params().maxTokens();
        this.maxTokens = max < 0 ? Integer.MAX_VALUE : max;
    }

    @Override public long id() { return id; }
    @Override public void cancel() { cancelRequested = true; }
    @Override public boolean isDone() { return state == State.FINISHED; }

    State state() { return state; }
    boolean cancelRequested() { return cancelRequested; }
    BlockTable table() { return table; }
    int cachedTokens() { return cached; }
    /** Prompt plus generated tokens. */
    int totalTokens() { return request.promptTokens().length + generatedCount; }
    int[] tokens() { return tokens; }
    boolean started() { return started; }

    /** Sets how many leading tokens are already in the cache (a prefix hit at admission). */
    void setCached(int n) {
        cached = n;
        state = State.PREFILL;
    }

    /** Joined the running batch with its current prefix hit; only the first admission is reported. */
    void admitted() {
        if (admittedNanos >= 0) return;
        admittedNanos = System.nanoTime();
        admittedCachedTokens = cached;
        listener.onAdmitted(admittedCachedTokens, admittedNanos - submitNanos);
    }

    /** Preemption: the cache was dropped; everything will be recomputed when the sequence is admitted again. */
    void preempt() {
        cached = 0;
        state = State.WAITING;
    }

    /** First admission: per-sequence sampling state (kept across preemptions, so sampling continues unchanged). */
    void start(Model model) {
        int[] prompt = request.promptTokens();
        tokens = Arrays.copyOf(prompt, prompt.length + 16);
        started = true;
        sampler = new Sampler(request.params(), model.config().vocabSize());
        for (int t : prompt) sampler.accept(t);
        decoder = tokenizer.newStreamDecoder();
        stops = new StopMatcher(request.params().stop());
        state = State.PREFILL;
    }

    /** Records that the next {@code n} tokens were computed; {@code logits} are the last one's when it was the last. */
    void advance(int n, float[] logits) {
        cached += n;
        if (cached < totalTokens()) return;
        state = State.DECODING;
        sample(logits);
    }

    private void sample(float[] logits) {
        int token = sampler.sample(logits);
        if (firstTokenNanos < 0) firstTokenNanos = System.nanoTime();
        if (!request.params().ignoreEos() && tokenizer.isEndOfGeneration(token)) {
            finish(FinishReason.STOP, true);
            return;
        }
        sampler.accept(token);
        int total = totalTokens();
        if (total == tokens.length) tokens = Arrays.copyOf(tokens, total * 2);
        tokens[total] = token;
        generatedCount++;
        StopMatcher.Result r = stops.feed(decoder.feed(token));
        text.append(r.emit());
        listener.onToken(new TokenEvent(token, r.emit(), request.params().logprobs() > 0 ? sampler.lastLogprobs() : null));
        if (r.stopped()) finish(FinishReason.STOP, false);
        else if (generatedCount >= maxTokens) finish(FinishReason.LENGTH, true);
        else if (cached >= contextLength) finish(FinishReason.CONTEXT_FULL, true);
    }

    private int[] generatedTokens() {
        int p = request.promptTokens().length;
        return tokens == null ? new int[0] : Arrays.copyOfRange(tokens, p, p + generatedCount);
    }

    /** Ends the request; {@code flush} releases text held back for an unfinished UTF-8 sequence or a possible stop. */
    void finish(FinishReason reason, boolean flush) {
        if (state == State.FINISHED) return;
        state = State.FINISHED;
        if (flush && decoder != null) {
            StopMatcher.Result tail = stops.feed(decoder.flush());
            String rest = tail.emit() + (tail.stopped() ? "" : stops.flush());
            if (!rest.isEmpty()) {
                text.append(rest);
                listener.onToken(new TokenEvent(-1, rest, null));
            }
        }
        long now = System.nanoTime();
        listener.onComplete(new Completion(reason, request.promptTokens().length, generatedTokens(),
                text.toString(), firstTokenNanos < 0 ? -1 : firstTokenNanos - submitNanos, now - submitNanos,
                admittedCachedTokens, admittedNanos < 0 ? -1 : admittedNanos - submitNanos));
    }

    /** Ends the request with an error (the listener's onError), releasing its cache. */
    void fail(RuntimeException error) {
        if (state == State.FINISHED) return;
        state = State.FINISHED;
        listener.onError(error);
    }
}
