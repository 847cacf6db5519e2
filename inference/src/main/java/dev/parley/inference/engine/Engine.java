package dev.parley.inference.engine;

import dev.parley.inference.constrain.GrammarCache;
import dev.parley.inference.kv.BlockManager;
import dev.parley.inference.kv.KvShape;
import dev.parley.inference.kv.PagedKvCache;
import dev.parley.inference.model.LoraAdapter;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.SamplingParams;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;


/**
 * The engine: one worker thread runs a step loop with continuous batching, shaped like vLLM v1's
 * {@code EngineCore.step}: the {@link Scheduler} plans the step (one decode token for every running sequence plus
 * prefill chunks under a token budget), the {@link ModelRunner} computes the plan in one batched forward pass over the
 * paged KV cache and returns logits, and the scheduler applies them (the {@link OutputProcessor} samples, detokenizes
 * and matches stops). Requests join and leave between steps; submits and cancels reach the worker through an inbox.
 */
public final class Engine implements InferenceEngine {
    private final Model model;
    private final EngineConfig config;
    private final BlockManager blocks;
    private final Scheduler scheduler;
    private final ModelRunner runner;
    private final GrammarCache grammars;
    /** Submitted requests not yet seen by the worker; guards itself and {@link #aborts}. */
    private final ArrayDeque<Sequence> incoming = new ArrayDeque<>();
    /** Cancelled requests not yet handed to the scheduler; guarded by {@link #incoming}. */
    private final List<Sequence> aborts = new ArrayList<>();
    private final Thread worker;
    private long lastId;
    private volatile boolean closed;
    // published by the worker after each step
    private volatile int running, queued, lastStepSequences;
    private volatile long steps, computedTokens;

    /** Warm-up budget of the worker before its first step, and its outcome: how long it took. */
    private final Duration warmUp;
    private final CompletableFuture<Duration> warmedUp = new CompletableFuture<>();

    public Engine(Model model, EngineConfig config) {
        this(model, config, Duration.ZERO);
    }

    /**
     * An engine whose worker first runs the forward pass for {@code warmUp} on throw-away batches (see
     * {@link WarmUp}); requests submitted meanwhile wait. {@link #warmedUp()} completes when it is done.
     */
    public Engine(Model model, EngineConfig config, Duration warmUp) {
        this(model, config, warmUp, ModelRunner::new);
    }

    Engine(Model model, EngineConfig config, Duration warmUp, ModelRunner.Factory runners) {
        this.warmUp = warmUp;
        this.model = model;
        this.config = config;
        KvShape shape = model.config().kvShape();
        int blockSize = config.kvBlockSize();
        long blockBytes = PagedKvCache.blockBytes(shape, config.kvFormat(), blockSize);
        // never more than maxRunning full contexts (+1 block each for the partial one): a tiny model gets a tiny arena
        long useful = (long) config.maxRunning() * ((model.config().contextLength() + blockSize - 1) / blockSize + 1);
        int blockCount = (int) Math.min(Math.min(config.kvBudgetBytes() / blockBytes, useful), Integer.MAX_VALUE);
        if (blockCount < 1) {
            throw new IllegalArgumentException("a KV budget of " + config.kvBudgetBytes() + " bytes holds no block of " + blockBytes);
        }
        this.blocks = new BlockManager(blockCount, blockSize);
        this.grammars = new GrammarCache(model.tokenizer());
        this.scheduler = new Scheduler(model, config, blocks);
        this.runner = runners.create(model, model.transformer(config.mode()),
                new PagedKvCache(shape, config.kvFormat(), blockSize, blockCount));
        this.worker = Thread.ofPlatform().name("parley-engine").daemon(true).start(this::loop);
    }

    @Override public Model model() { return model; }

    @Override public GrammarCache grammars() { return grammars; }

    @Override
    public RequestHandle submit(GenerationRequest request, GenerationListener listener) {
        return submitChoices(request, java.util.Collections.singletonList(listener));
    }

    @Override
    public RequestHandle submitChoices(GenerationRequest request, List<? extends GenerationListener> choices) {
        if (choices.isEmpty()) throw new IllegalArgumentException("n must be >= 1");
        if (choices.size() > config.maxRunning()) {
            throw new IllegalArgumentException("n = " + choices.size() + " answers exceed the " + config.maxRunning()
                    + " sequences the engine runs at once");
        }
        int[] prompt = request.promptTokens();
        // a prompt that fills the context leaves no room for the first generated token
        checkInput(prompt, "prompt", prompt.length >= model.config().contextLength(), prompt.length >= scheduler.capacityTokens());
        if (request.constraint() != null && request.constraint().vocabulary() != grammars.vocabulary()) {
            throw new IllegalArgumentException("the constraint was not compiled for this model's vocabulary (use grammars())");
        }
        LoraAdapter adapter = request.adapter() == null ? null : model.adapter(request.adapter());
        Sequence seq = enqueue(id -> new Sequence(id, request, choices, this::abortLater, null, adapter));
        return choices.size() == 1 ? seq : new ChoicesHandle(seq);
    }

    /**
     * Several requests handed over at once: the worker takes them into the scheduler together (it waits on the same
     * lock), so none of them starts a step before the others arrive. {@code bench --n} compares n answers of one
     * request with n separate requests "submitted together"; submitted one by one, the worker could prefill the first
     * alone and the others would then reuse its prompt blocks from the prefix cache, as a race.
     */
    public List<RequestHandle> submitAll(List<GenerationRequest> requests, List<? extends GenerationListener> listeners) {
        if (requests.size() != listeners.size()) {
            throw new IllegalArgumentException(requests.size() + " requests but " + listeners.size() + " listeners");
        }
        synchronized (incoming) { // reentrant: each submit's enqueue takes it again
            List<RequestHandle> handles = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) handles.add(submit(requests.get(i), listeners.get(i)));
            return handles;
        }
    }

    /** The handle of an n-answer request: cancelling it cancels every answer; it is done when all of them are. */
    private record ChoicesHandle(Sequence first) implements RequestHandle {
        @Override public long id() { return first.id(); }
        @Override public void cancel() { first.cancel(); }
        @Override public boolean isDone() { return first.allChoicesDone(); }
    }

    /**
     * Queues an embedding: its tokens are prefilled through the same steps as every prompt (many inputs share a
     * step), and the final normed hidden states are pooled instead of sampled from. It never decodes, so its blocks
     * are freed in the step that computes its last token. Throws like {@link #submit}.
     */
    @Override
    public RequestHandle embed(EmbeddingRequest request, EmbeddingListener listener) {
        int[] tokens = request.tokens();
        checkInput(tokens, "input", tokens.length > model.config().contextLength(), tokens.length > scheduler.capacityTokens());
        Pooler pooler = new Pooler(request.pooling(), model.config().dim());
        // nothing is sampled: the sampling settings only satisfy the sequence's generation side, which stays unused
        GenerationRequest asPrompt = new GenerationRequest(tokens, SamplingParams.greedy());
        return enqueue(id -> new Sequence(id, asPrompt, new PooledListener(pooler, listener), this::abortLater, pooler));
    }

    private void checkInput(int[] tokens, String what, boolean overContext, boolean overCache) {
        if (overContext) {
            throw new IllegalArgumentException("the " + what + " has " + tokens.length + " tokens; the context holds "
                    + model.config().contextLength());
        }
        if (overCache) {
            throw new IllegalArgumentException("the " + what + " has " + tokens.length + " tokens; the KV cache holds "
                    + scheduler.capacityTokens());
        }
        int vocab = model.config().vocabSize();
        for (int token : tokens) {
            if (token < 0 || token >= vocab) throw new IllegalArgumentException("token id " + token + " out of range [0, " + vocab + ")");
        }
    }

    private Sequence enqueue(java.util.function.LongFunction<Sequence> create) {
        synchronized (incoming) {
            if (closed) throw new IllegalStateException("the engine is closed");
            if (incoming.size() + queued >= config.maxWaiting()) {
                throw new EngineOverloadedException("the server is busy: " + (incoming.size() + queued) + " requests are waiting");
            }
            Sequence seq = create.apply(++lastId);
            incoming.add(seq);
            incoming.notifyAll();
            return seq;
        }
    }

    /** An embedding's end as its listener sees it: the pooled vector, or why there is none. */
    private record PooledListener(Pooler pooler, EmbeddingListener listener) implements GenerationListener {
        @Override public void onToken(TokenEvent event) {
            throw new IllegalStateException("an embedding samples no token");
        }

        @Override public void onComplete(Completion completion) {
            switch (completion.finishReason()) {
                case STOP -> listener.onEmbedding(pooler.vector(), completion.promptTokens());
                case CANCELLED -> listener.onError(new CancellationException("the embedding was cancelled"));
                default -> listener.onError(new IllegalStateException("the embedding ended early: " + completion.finishReason()));
            }
        }

        @Override public void onError(RuntimeException error) {
            listener.onError(error);
        }
    }

    /** A cancel from any thread: the worker hands it to the scheduler before its next step. */
    private void abortLater(Sequence seq) {
        synchronized (incoming) {
            if (closed) return; // the worker cancels everything on its way out
            aborts.add(seq);
            incoming.notifyAll();
        }
    }

    @Override public int runningCount() { return running; }

    @Override public int waitingCount() {
        synchronized (incoming) { return incoming.size() + queued; }
    }

    @Override
    public EngineStats stats() {
        return new EngineStats(steps, computedTokens, scheduler.prefixHitTokens(), scheduler.preemptions(), blocks.freeBlocks(),
                blocks.totalBlocks(), scheduler.prefixQueryTokens(), lastStepSequences,
                blocks.peakUsedBlocks());
    }

    /** Completes, with the time it took, once the warm-up is over (at once without one). */
    public CompletableFuture<Duration> warmedUp() {
        return warmedUp;
    }

    private void loop() {
        try {
            long start = System.nanoTime();
            try {
                WarmUp.run(runner.transformer(), config, warmUp, () -> closed);
                warmedUp.complete(Duration.ofNanos(System.nanoTime() - start));
            } catch (RuntimeException | Error e) {
                warmedUp.completeExceptionally(e);
                throw e;
            }
            while (takeInbox()) step();
        } catch (InterruptedException e) {
            // closing
        } finally {
            synchronized (incoming) {
                for (Sequence seq : incoming) scheduler.add(seq);
                incoming.clear();
                aborts.clear();
            }
            scheduler.abortAll();
            runner.close();
        }
    }

    /**
     * Hands submitted and cancelled requests to the scheduler; blocks while there is nothing to do. False once the
     * engine is closed.
     */
    private boolean takeInbox() throws InterruptedException {
        List<Sequence> cancelled;
        synchronized (incoming) {
            while (!scheduler.hasWork() && incoming.isEmpty() && aborts.isEmpty() && !closed) incoming.wait();
            if (closed) return false;
            for (Sequence seq : incoming) scheduler.add(seq);
            incoming.clear();
            cancelled = aborts.isEmpty() ? List.of() : new ArrayList<>(aborts);
            aborts.clear();
            // published now, not only after the step: otherwise a submit during this step sees neither queue and
            // slips past maxWaiting
            queued = scheduler.waitingCount();
        }
        for (Sequence seq : cancelled) scheduler.abort(seq); // outside the lock: it calls listeners
        return true;
    }

    /** One step: plan, compute, apply. */
    private void step() {
        StepPlan plan = scheduler.schedule();
        queued = scheduler.waitingCount(); // admissions leave the queue now, not when the step ends
        if (!plan.isEmpty()) {
            // counted before the update: its listeners may complete requests, and stats read then must include it
            computedTokens += plan.tokens();
            scheduler.update(plan, execute(plan));
            steps++;
        }
        lastStepSequences = plan.entries().size();
        running = scheduler.runningCount();
        queued = scheduler.waitingCount();
    }

    private StepOutput execute(StepPlan plan) {
        try {
            return runner.execute(plan);
        } catch (RuntimeException e) { // the batch itself failed: every sequence in it ends with the error
            return StepOutput.failed(e);
        }
    }

    /**
     * Stops accepting work and returns once the worker has stopped: its current step ends, every request left is
     * cancelled and the KV cache is freed. No time limit, on purpose: the caller closes the model's memory next, and
     * a step still running would then read freed memory.
     */
    @Override
    public void close() {
        synchronized (incoming) {
            closed = true;
            incoming.notifyAll();
        }
        if (Thread.currentThread() == worker) return; // a listener closing its engine: the loop ends after this step
        boolean interrupted = false;
        while (worker.isAlive()) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                interrupted = true; // keep waiting: returning early is what would let memory be freed mid-step
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
