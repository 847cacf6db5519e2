package dev.parley.inference.engine;

import dev.parley.inference.model.Model;
import dev.parley.inference.model.Transformer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine: one worker thread runs a step loop. Each step admits waiting requests up to {@code maxRunning}, then
 * runs every running sequence once — a prompt chunk of at most {@code prefillChunk} tokens, or one decode token —
 * so all streams advance together and a long prompt never freezes the others.
 */
public final class Engine implements InferenceEngine {
    private final Model model;
    private final Transformer transformer;
    private final EngineConfig config;
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    private final Thread worker;
    private volatile boolean closed;

    public Engine(Model model, EngineConfig config) {
        this.model = model;
        this.config = config;
        this.transformer = model.transformer(config.mode());
        this.worker = Thread.ofPlatform().name("parley-engine").daemon(true).start(this::loop);
    }

    @Override public Model model() { return model; }

    @Override
    public RequestHandle submit(GenerationRequest request, GenerationListener listener) {
        int ctx = model.config().contextLength();
        int[] prompt = request.promptTokens();
        if (prompt.length >= ctx) throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens; the context holds " + ctx);
        for (int t : prompt) if (t < 0 || t >= model.config().vocabSize()) throw new IllegalArgumentException("token id " + t + " out of range [0, " + model.config().vocabSize() + ")");
        Sequence seq = new Sequence(ids.incrementAndGet(), request, listener, model);
        synchronized (waiting) {
            if (closed) throw new IllegalStateException("the engine is closed");
            if (waiting.size() >= config.maxWaiting()) throw new EngineOverloadedException("the server is busy: " + waiting.size() + " requests are waiting");
            waiting.add(seq);
            waiting.notifyAll();
        }
        return seq;
    }

    @Override public int runningCount() {
        synchronized (waiting) { return running.size(); }
    }

    @Override public int waitingCount() {
        synchronized (waiting) { return waiting.size(); }
    }

    private void loop() {
        while (!closed) {
            try {
                if (!admit()) continue;
                step();
            } catch (InterruptedException e) {
                break;
            }
        }
        List<Sequence> left;
        synchronized (waiting) {
            left = new ArrayList<>(running);
            left.addAll(waiting);
            running.clear();
            waiting.clear();
        }
        for (Sequence s : left) safely(s, () -> s.finish(FinishReason.CANCELLED, false));
    }

    /** Moves waiting requests into the running set; blocks while there is nothing to do. */
    private boolean admit() throws InterruptedException {
        synchronized (waiting) {
            while (running.isEmpty() && waiting.isEmpty() && !closed) waiting.wait();
            while (running.size() < config.maxRunning() && !waiting.isEmpty()) {
                Sequence s = waiting.poll();
                if (s.cancelRequested()) {
                    safely(s, () -> s.finish(FinishReason.CANCELLED, false));
                    continue;
                }
                try {
                    s.start(model);
                    running.add(s);
                } catch (RuntimeException e) {
                    safely(s, () -> s.fail(e));
                }
            }
            return !running.isEmpty();
        }
    }

    private void step() {
        List<Sequence> batch;
        synchronized (waiting) { batch = new ArrayList<>(running); }
        for (Sequence s : batch) {
            if (s.cancelRequested()) {
                safely(s, () -> s.finish(FinishReason.CANCELLED, false));
                continue;
            }
            safely(s, () -> {
                int[] input = s.nextInput(config.prefillChunk());
                float[] logits = transformer.forward(input, s.cachedTokens(), s.kv(), false)[0];
                s.advance(input.length, logits);
            });
        }
        synchronized (waiting) {
            for (Iterator<Sequence> it = running.iterator(); it.hasNext(); ) if (it.next().isDone()) it.remove();
        }
    }

    /** Runs a step of one sequence; a failure (or a throwing listener) ends that sequence only. */
    private static void safely(Sequence s, Runnable r) {
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
        synchronized (waiting) {
            closed = true;
            waiting.notifyAll();
        }
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
