package dev.parley.inference.engine;

import dev.parley.inference.model.KvCache;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.Sampler;
import dev.parley.inference.sampling.StopMatcher;
import dev.parley.inference.tokenizer.StreamDecoder;
import dev.parley.inference.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * One request as a state machine: WAITING until admitted, then PREFILL (prompt fed in chunks), DECODING (one token per
 * step), FINISHED. It owns its sampler, detokenizer, stop matcher and KV cache; the scheduler only decides which
 * tokens it feeds in a step, and the model runner only computes.
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
    private KvCache kv;
    private int[] generated = new int[16];
    private int generatedCount;
    /** Tokens whose keys and values are in the cache. */
    private int cached;
    private final StringBuilder text = new StringBuilder();
    private long firstTokenNanos = -1;

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
    KvCache kv() { return kv; }
    int cachedTokens() { return cached; }

    /** Admission: allocate the cache and per-sequence state. */
    void start(Model model) {
        int[] prompt = request.promptTokens();
        kv = model.newKvCache((int) Math.min(contextLength, (long) prompt.length + maxTokens));
        sampler = new Sampler(request.params(), model.config().vocabSize());
        for (int t : prompt) sampler.accept(t);
        decoder = tokenizer.newStreamDecoder();
        stops = new StopMatcher(request.params().stop());
        state = State.PREFILL;
    }

    /** The tokens to run this step: the next prompt chunk (at most {@code budget}), or the last sampled token. */
    int[] nextInput(int budget) {
        int[] prompt = request.promptTokens();
        if (state == State.PREFILL) return Arrays.copyOfRange(prompt, cached, Math.min(prompt.length, cached + budget));
        return new int[] {generated[generatedCount - 1]};
    }

    /** Records that {@code n} tokens were run; {@code logits} are those of the last one. */
    void advance(int n, float[] logits) {
        cached += n;
        if (state == State.PREFILL && cached < request.promptTokens().length) return;
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
        if (generatedCount == generated.length) generated = Arrays.copyOf(generated, generatedCount * 2);
        generated[generatedCount++] = token;
        StopMatcher.Result r = stops.feed(decoder.feed(token));
        text.append(r.emit());
        listener.onToken(new TokenEvent(token, r.emit(), request.params().logprobs() > 0 ? sampler.lastLogprobs() : null));
        if (r.stopped()) finish(FinishReason.STOP, false);
        else if (generatedCount >= maxTokens) finish(FinishReason.LENGTH, true);
        else if (cached >= kv.capacity()) finish(cached >= contextLength ? FinishReason.CONTEXT_FULL : FinishReason.LENGTH, true);
    }

    /** Ends the request; {@code flush} releases text held back for an unfinished UTF-8 sequence or a possible stop. */
    void finish(FinishReason reason, boolean flush) {
        if (state == State.FINISHED) return;
        state = State.FINISHED;
        if (kv != null) kv.close();
        if (flush && decoder != null) {
            StopMatcher.Result tail = stops.feed(decoder.flush());
            String rest = tail.emit() + (tail.stopped() ? "" : stops.flush());
            if (!rest.isEmpty()) {
                text.append(rest);
                listener.onToken(new TokenEvent(-1, rest, null));
            }
        }
        long now = System.nanoTime();
        listener.onComplete(new Completion(reason, request.promptTokens().length, Arrays.copyOf(generated, generatedCount),
                text.toString(), firstTokenNanos < 0 ? -1 : firstTokenNanos - submitNanos, now - submitNanos));
    }

    /** Ends the request with an error (the listener's onError), releasing its cache. */
    void fail(RuntimeException error) {
        if (state == State.FINISHED) return;
        state = State.FINISHED;
        if (kv != null) kv.close();
        listener.onError(error);
    }
}
