package dev.parley.inference.engine;

import dev.parley.inference.constrain.TokenMatcher;
import dev.parley.inference.kv.BlockTable;
import dev.parley.inference.model.LoraAdapter;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.Sampler;
import dev.parley.inference.sampling.StopMatcher;
import dev.parley.inference.tokenizer.StreamDecoder;
import dev.parley.inference.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * One request as a state machine: WAITING until admitted, then PREFILL (prompt fed in chunks), DECODING (one token per
 * step), FINISHED. It holds the request's state: its tokens, how many of them are computed, its block table, and
 * the per-request sampler, constraint matcher, detokenizer and stop matcher the {@link OutputProcessor} drives. The {@link Scheduler}
 * changes it (admission, preemption, computed tokens, appended tokens); the model runner only reads it.
 *
 * <p>Prefill and decode are one mechanism: the sequence's tokens are the prompt followed by everything sampled, and
 * each step computes the next not-yet-computed ones; when the last one is computed its logits give the next token.
 *
 * <p>A request for n answers ({@link InferenceEngine#submitChoices}) is one sequence while its
 * prompt is read; when the prompt is computed the scheduler {@link #fork forks} n - 1 more from it, which share its
 * KV blocks and then decode on their own (own sampler, seed, matcher, stop state and finish reason).
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
    private final long submitNanos;
    /** The listeners of the other answers of an n-choice request, until the prompt is computed and they fork. */
    private List<GenerationListener> pendingChoices;
    /** The sequences forked from this one (choices 1 to n-1): set once, on the engine thread; read by any thread. */
    private volatile List<Sequence> forks = List.of();
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
        this(id, request, java.util.Collections.singletonList(listener), onCancel, pooler, null);
    }

    /**
     * A generation with one answer per listener ({@code choices.get(0)} is this sequence's, the others fork from it),
     * computed with a LoRA {@code adapter} (null: the base model); its cached prefixes are its own.
     */
    Sequence(long id, GenerationRequest request, List<? extends GenerationListener> choices, Consumer<Sequence> onCancel,
             Pooler pooler, LoraAdapter adapter) {
        this.id = id;
        this.adapter = adapter;
        this.table = new BlockTable(adapter == null ? 0 : adapter.cacheNamespace());
        this.pooler = pooler;
        this.request = request;
        this.listener = choices.getFirst();
        this.pendingChoices = List.copyOf(choices.subList(1, choices.size()));
        this.onCancel = onCancel;
        this.submitNanos = System.nanoTime();
        int max = request.params().maxTokens();
        this.maxTokens = max < 0 ? Integer.MAX_VALUE : max;
    }

    /**
     * Choice {@code choice} forked from {@code parent}, whose prompt is computed: the same tokens and admission
     * figures, fresh per-answer state (sampler with the derived seed, detokenizer, stops, matcher), ready to sample.
     * Its block table is filled by {@link dev.parley.inference.kv.BlockManager#fork}.
     */
    private Sequence(Sequence parent, int choice, GenerationListener listener, Model model) {
        this.id = parent.id;
        this.pooler = null;
        this.adapter = parent.adapter;
        this.table = new BlockTable(parent.table.namespace());
        this.request = new GenerationRequest(parent.request.promptTokens(), choiceParams(parent.request.params(), choice),
                parent.request.constraint(), parent.request.adapter());
        this.listener = listener;
        this.pendingChoices = List.of();
        this.onCancel = parent.onCancel;
        this.submitNanos = parent.submitNanos;
        this.maxTokens = parent.maxTokens;
        this.admittedNanos = parent.admittedNanos;
        this.prefixHitTokens = parent.prefixHitTokens;
        this.computed = parent.computed;
        this.state = State.DECODING;
        initOutput(model);
    }

    /**
     * The sampling settings of answer {@code choice} (0 = the request's own): with a request seed, answer i samples
     * with seed + i, so each answer of an n-choice request equals a single request with that seed; without one,
     * each answer's sampler draws its own seed.
     */
    static SamplingParams choiceParams(SamplingParams params, int choice) {
        if (choice == 0 || params.seed() == SamplingParams.RANDOM_SEED) return params;
        return params.toBuilder().seed(params.seed() + choice).build();
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
    /** Running-batch places this sequence takes: itself and the answers still to fork from it. */
    int slots() { return 1 + pendingChoices.size(); }
    /** True while answers are waiting to fork from this sequence's computed prompt. */
    boolean forksPending() { return !pendingChoices.isEmpty(); }
    List<Sequence> forks() { return forks; }

    /** This sequence and every answer forked from it (or never forked because it ended first) have ended. */
    boolean allChoicesDone() {
        if (state != State.FINISHED) return false;
        for (Sequence fork : forks) if (!fork.isDone()) return false;
        return true;
    }

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

    /** A forked answer joined the running batch with its parent's admission figures. */
    void admittedAsFork() {
        listener.onAdmitted(prefixHitTokens, admittedNanos - submitNanos);
    }

    /**
     * The prompt is computed: creates the pending answers (their tables still empty; the scheduler forks the blocks).
     * Nothing changes if creating one fails.
     */
    List<Sequence> fork(Model model) {
        if (state != State.DECODING || generatedCount != 0) throw new IllegalStateException("forks only from a computed prompt");
        List<Sequence> children = new ArrayList<>(pendingChoices.size());
        for (int i = 0; i < pendingChoices.size(); i++) children.add(new Sequence(this, i + 1, pendingChoices.get(i), model));
        pendingChoices = List.of();
        forks = List.copyOf(children);
        return children;
    }

    /** Preemption: the cache was dropped; everything will be recomputed when the sequence is admitted again. */
    void preempt() {
        computed = 0;
        if (pooler != null) pooler.reset();
        state = State.WAITING;
    }

    /** First admission: per-sequence sampling state (kept across preemptions, so sampling continues unchanged). */
    void start(Model model) {
        initOutput(model);
        state = State.PREFILL;
    }

    /** The prompt as the first tokens, and this answer's own sampler, detokenizer, stop matcher and constraint matcher. */
    private void initOutput(Model model) {
        int[] prompt = request.promptTokens();
        tokens = Arrays.copyOf(prompt, prompt.length + 16);
        started = true;
        sampler = new Sampler(request.params(), model.config().vocabSize());
        for (int t : prompt) sampler.accept(t);
        decoder = model.tokenizer().newStreamDecoder();
        stops = new StopMatcher(request.params().stop());
        matcher = request.constraint() == null ? null : request.constraint().newMatcher();
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
        long queue = admittedNanos < 0 ? -1 : admittedNanos - submitNanos;
        // answers that never forked (ended before the prompt was computed) end the same way, with nothing generated
        for (GenerationListener choice : endPendingChoices()) {
            notify(() -> choice.onComplete(new Completion(reason, request.promptTokens().length, new int[0], "", -1,
                    now - submitNanos, prefixHitTokens, queue)));
        }
        listener.onComplete(new Completion(reason, request.promptTokens().length, generatedTokens(),
                text.toString(), firstTokenNanos < 0 ? -1 : firstTokenNanos - submitNanos, now - submitNanos,
                prefixHitTokens, queue));
    }

    private List<GenerationListener> endPendingChoices() {
        List<GenerationListener> pending = pendingChoices;
        pendingChoices = List.of();
        return pending;
    }

    /** Tells a never-forked answer's listener how it ended; one that throws does not keep the others from being told. */
    private static void notify(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException ignored) {
            // that answer is over either way
        }
    }

    /** Ends the request with an error (the listener's onError); its blocks are released by the scheduler. */
    void fail(RuntimeException error) {
        if (state == State.FINISHED) return;
        state = State.FINISHED;
        for (GenerationListener choice : endPendingChoices()) notify(() -> choice.onError(error));
        listener.onError(error);
    }
}
