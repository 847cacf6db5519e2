package dev.parley.inference.engine;

import dev.parley.inference.constrain.TokenMatcher;
import dev.parley.inference.kv.BlockTable;
import dev.parley.inference.model.LoraAdapter;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.Sampler;
import dev.parley.inference.sampling.StopMatcher;
import dev.parley.inference.tokenizer.StreamDecoder;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * One request as a state machine: WAITING until admitted, then PREFILL (prompt fed in chunks), DECODING (one token per
 * step), FINISHED. It holds the request's state: its tokens, how many of them are computed, its block table, and
 * the per-request sampler, constraint matcher, detokenizer and stop matcher the {@link OutputProcessor} drives. The {@link Scheduler}
 * changes it (admission, preemption, computed tokens, appended tokens); the model runner only reads it.
 *
 * <p>Prefill and decode are one mechanism: the sequence's tokens are the prompt followed by everything sampled, and
 * each step computes the next not-yet-computed ones; when the last one is computed its logits give the next token.
 */
final class Sequence implements RequestHandle {
    enum State { WAITING, PREFILL, DECODING, FINISHED }

    private final long id;
    private final GenerationRequest request;
    private final GenerationListener listener;
    /** Told once, on the first cancel, so the engine can hand the abort to its scheduler. */
    private final Consumer<Sequence> onCancel;
    private final int maxTokens;
    /** An embedding request's pooling of hidden states (it samples nothing); null for a generation. */
    private final Pooler pooler;
    /** The LoRA adapter the sequence is computed with; null = the base model. */
    private final LoraAdapter adapter;
    private final long submitNanos = System.nanoTime();
    private volatile boolean cancelRequested;
    private volatile State state = State.WAITING;

    private Sampler sampler;
    private StreamDecoder decoder;
    private StopMatcher stops;
    /** The constraint's state for this output; null when the request is unconstrained. */
    private TokenMatcher matcher;
    private boolean started;
    private final BlockTable table;
    /** The prompt, then the sampled tokens. */
    private int[] tokens;
    private int generatedCount;
    /** Leading tokens whose keys and values are in the cache (computed, or mapped from the prefix cache). */
    private int computed;
    private final StringBuilder text = new StringBuilder();
    private long firstTokenNanos = -1;
    /** Set at the first admission: when, and how many prompt tokens the prefix cache supplied then. */
    private long admittedNanos = -1;
    private int prefixHitTokens;

    Sequence(long id, GenerationRequest request, GenerationListener listener, Consumer<Sequence> onCancel) {
        this(id, request, listener, onCancel, null);
    }

    /** With a {@code pooler}: an embedding request, which ends when its last prompt token is computed. */
    Sequence(long id, GenerationRequest request, GenerationListener listener, Consumer<Sequence> onCancel, Pooler pooler) {
        this(id, request, listener, onCancel, pooler, null);
    }

    /** With a LoRA {@code adapter} (null: the base model); its cached prefixes are its own. */
    Sequence(long id, GenerationRequest request, GenerationListener listener, Consumer<Sequence> onCancel, Pooler pooler,
             LoraAdapter adapter) {
        this.id = id;
        this.adapter = adapter;
        this.table = new BlockTable(adapter == null ? 0 : adapter.cacheNamespace());
        this.pooler = pooler;
        this.request = request;
        this.listener = listener;
        this.onCancel = onCancel;
        int max = request.params().maxTokens();
        this.maxTokens = max < 0 ? Integer.MAX_VALUE : max;
    }

    @Override public long id() { return id; }

    @Override public void cancel() {
        if (cancelRequested) return;
        cancelRequested = true;
        onCancel.accept(this);
    }

    @Override public boolean isDone() { return state == State.FINISHED; }

    State state() { return state; }
    GenerationRequest request() { return request; }
    GenerationListener listener() { return listener; }
    BlockTable table() { return table; }
    Pooler pooler() { return pooler; }
    LoraAdapter adapter() { return adapter; }
    /** Leading tokens whose keys and values are in the cache; the next step computes from here. */
    int computedTokens() { return computed; }
    /** Prompt plus generated tokens. */
    int totalTokens() { return request.promptTokens().length + generatedCount; }
    int generatedCount() { return generatedCount; }
    int maxTokens() { return maxTokens; }
    int[] tokens() { return tokens; }
    boolean started() { return started; }
    Sampler sampler() { return sampler; }
    StreamDecoder decoder() { return decoder; }
    StopMatcher stops() { return stops; }
    TokenMatcher matcher() { return matcher; }
    StringBuilder text() { return text; }

    /** Sets how many leading tokens the prefix cache supplied at admission; they count as computed. */
    void setPrefixHit(int tokens) {
        computed = tokens;
        state = State.PREFILL;
    }

    /** Joined the running batch with its current prefix hit; only the first admission is reported. */
    void admitted() {
        if (admittedNanos >= 0) return;
        admittedNanos = System.nanoTime();
        prefixHitTokens = computed;
        listener.onAdmitted(prefixHitTokens, admittedNanos - submitNanos);
    }

    /** Preemption: the cache was dropped; everything will be recomputed when the sequence is admitted again. */
    void preempt() {
        computed = 0;
        if (pooler != null) pooler.reset();
        state = State.WAITING;
    }

    /** First admission: per-sequence sampling state (kept across preemptions, so sampling continues unchanged). */
    void start(Model model) {
        int[] prompt = request.promptTokens();
        tokens = Arrays.copyOf(prompt, prompt.length + 16);
        started = true;
        sampler = new Sampler(request.params(), model.config().vocabSize());
        for (int t : prompt) sampler.accept(t);
        decoder = model.tokenizer().newStreamDecoder();
        stops = new StopMatcher(request.params().stop());
        matcher = request.constraint() == null ? null : request.constraint().newMatcher();
        state = State.PREFILL;
    }

    /** Records that the next {@code count} tokens were computed; true when that was the last one (logits are due). */
    boolean markComputed(int count) {
        computed += count;
        if (computed < totalTokens()) return false;
        state = State.DECODING;
        return true;
    }

    /** Notes when the first token was sampled (time to first token). */
    void sampled() {
        if (firstTokenNanos < 0) firstTokenNanos = System.nanoTime();
    }

    /** Appends a sampled token: the next step computes it. */
    void append(int token) {
        int total = totalTokens();
        if (total == tokens.length) tokens = Arrays.copyOf(tokens, total * 2);
        tokens[total] = token;
        generatedCount++;
    }

    private int[] generatedTokens() {
        int promptLength = request.promptTokens().length;
        return tokens == null ? new int[0] : Arrays.copyOfRange(tokens, promptLength, promptLength + generatedCount);
    }

    /** Marks the request finished and tells its listener how it ended (any held-back text is released before). */
    void complete(FinishReason reason) {
        if (state == State.FINISHED) return;
        state = State.FINISHED;
        long now = System.nanoTime();
        listener.onComplete(new Completion(reason, request.promptTokens().length, generatedTokens(),
                text.toString(), firstTokenNanos < 0 ? -1 : firstTokenNanos - submitNanos, now - submitNanos,
                prefixHitTokens, admittedNanos < 0 ? -1 : admittedNanos - submitNanos));
    }

    /** Ends the request with an error (the listener's onError); its blocks are released by the scheduler. */
    void fail(RuntimeException error) {
        if (state == State.FINISHED) return;
        state = State.FINISHED;
        listener.onError(error);
    }
}
