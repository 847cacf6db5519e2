package dev.parley.inference.engine;

import dev.parley.inference.kv.BlockManager;
import dev.parley.inference.kv.PagedKvCache;
import dev.parley.inference.model.Model;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine: one thread runs a step loop with continuous batching. Each step the {@link Scheduler} picks one decode
 * token for every running sequence plus prefill chunks under a token budget, and the {@link ModelRunner} computes
 * them all in one batched forward pass over the paged KV cache; requests join and leave between steps.
 */
public final class Engine implements InferenceEngine {
    private final Model model;
    private final EngineConfig config;
    private final BlockManager blocks;
    private final Scheduler scheduler;
    private final ModelRunner runner;
    /** Submitted requests not yet seen by the scheduler thread; guarded by itself. */
    private final ArrayDeque<Sequence> incoming = new ArrayDeque<>();
    private final Thread worker;
    private long ids;
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
        this.warmUp = warmUp;
        this.model = model;
        this.config = config;
        var c = model.config();
        long blockBytes = PagedKvCache.blockBytes(c, config.kvFormat(), config.kvBlockSize());
        // never more than maxRunning full contexts (+1 block each for the partial one): a tiny model gets a tiny arena
        long useful = (long) config.maxRunning() * ((c.contextLength() + config.kvBlockSize() - 1) / config.kvBlockSize() + 1);
        int nBlocks = (int) Math.min(Math.min(config.kvBudgetBytes() / blockBytes, useful), Integer.MAX_VALUE);
        if (nBlocks < 1) throw new IllegalArgumentException("a KV budget of " + config.kvBudgetBytes() + " bytes holds no block of " + blockBytes);
        this.blocks = new BlockManager(nBlocks, config.kvBlockSize());
        this.scheduler = new Scheduler(model, config, blocks);
        this.runner = new ModelRunner(model, model.transformer(config.mode()),
                new PagedKvCache(c, config.kvFormat(), config.kvBlockSize(), nBlocks));
        this.worker = Thread.ofPlatform().name("parley-engine").daemon(true).start(this::loop);
    }

    @Override public Model model() { return model; }

    @Override
    public RequestHandle submit(GenerationRequest request, GenerationListener listener) {
        int ctx = model.config().contextLength();
        int[] prompt = request.promptTokens();
        if (prompt.length >= ctx) throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens; the context holds " + ctx);
        if (prompt.length >= scheduler.capacityTokens())
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens; the KV cache holds " + scheduler.capacityTokens());
        for (int t : prompt) if (t < 0 || t >= model.config().vocabSize()) throw new IllegalArgumentException("token id " + t + " out of range [0, " + model.config().vocabSize() + ")");
        synchronized (incoming) {
            if (closed) throw new IllegalStateException("the engine is closed");
            if (incoming.size() + queued >= config.maxWaiting()) throw new EngineOverloadedException("the server is busy: " + (incoming.size() + queued) + " requests are waiting");
            Sequence seq = new Sequence(++ids, request, listener, model);
            incoming.add(seq);
            incoming.notifyAll();
            return seq;
        }
    }

    @Override public int runningCount() { return running; }

    @Override public int waitingCount() {
        synchronized (incoming) { return incoming.size() + queued; }
    }

    /** Counters since start (read without stopping the engine; each field is current, not all from one instant). */
    public EngineStats stats() {
        return new EngineStats(steps, computedTokens, scheduler.prefixHitTokens(), scheduler.preemptions(), blocks.freeBlocks(),
                blocks.totalBlocks(), scheduler.prefixQueryTokens(), lastStepSequences);
    }

    /** Completes, with the time it took, once the warm-up is over (at once without one). */
    public CompletableFuture<Duration> warmedUp() {
        return warmedUp;
    }

    private void loop() {
        try {
            long t0 = System.nanoTime();
            try {
                WarmUp.run(runner.transformer(), config, warmUp);
                warmedUp.complete(Duration.ofNanos(System.nanoTime() - t0));
            } catch (RuntimeException | Error e) {
                warmedUp.completeExceptionally(e);
                throw e;
            }
            while (!closed) {
                if (!takeIncoming()) break;
                step();
            }
        } catch (InterruptedException e) {
            // closing
        } finally {
            List<Sequence> left = new ArrayList<>(scheduler.running);
            left.addAll(scheduler.waiting);
            synchronized (incoming) {
                left.addAll(incoming);
                incoming.clear();
            }
            for (Sequence s : left) safely(s, () -> s.finish(FinishReason.CANCELLED, false));
            scheduler.removeFinished();
            runner.close();
        }
    }

    /** Moves submitted requests to the scheduler's queue; blocks while there is nothing to do. */
    private boolean takeIncoming() throws InterruptedException {
        synchronized (incoming) {
            while (scheduler.running.isEmpty() && scheduler.waiting.isEmpty() && incoming.isEmpty() && !closed) incoming.wait();
            if (closed) return false;
            scheduler.waiting.addAll(incoming);
            incoming.clear();
            // published now, not only after the step: otherwise a submit during this step sees neither queue and
            // slips past maxWaiting
            queued = scheduler.waiting.size();
            return true;
        }
    }

    private void step() {
        for (Sequence s : scheduler.running) if (s.cancelRequested()) safely(s, () -> s.finish(FinishReason.CANCELLED, false));
        for (Sequence s : scheduler.waiting) if (s.cancelRequested()) safely(s, () -> s.finish(FinishReason.CANCELLED, false));
        scheduler.removeFinished();
        List<Scheduler.Work> work = scheduler.schedule();
        queued = scheduler.waiting.size(); // admissions leave the queue now, not when the step ends
        if (!work.isEmpty()) {
            // counted before the run: the run's listeners may complete requests, and stats read then must include it
            for (Scheduler.Work w : work) computedTokens += w.tokens();
            try {
                runner.run(work);
            } catch (RuntimeException e) { // the batch itself failed: every sequence in it ends with the error
                for (Scheduler.Work w : work) safely(w.seq(), () -> w.seq().fail(e));
            }
            for (Scheduler.Work w : work) {
                Sequence s = w.seq();
                blocks.registerFull(s.table(), s.tokens(), s.cachedTokens());
            }
            steps++;
            lastStepSequences = work.size();
        } else {
            lastStepSequences = 0;
        }
        scheduler.removeFinished();
        running = scheduler.running.size();
        queued = scheduler.waiting.size();
    }

    /** Runs a callback of one sequence; a failure (or a throwing listener) ends that sequence only. */
    static void safely(Sequence s, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            try {
                s.fail(e);
            } catch (RuntimeException ignored) {
                // the listener threw again; the sequence is finished either way
            }
        }
    }

    @Override
    public void close() {
        synchronized (incoming) {
            closed = true;
            incoming.notifyAll();
        }
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
