package dev.parley.server.chat;

import dev.parley.inference.engine.Completion;
import dev.parley.inference.engine.GenerationListener;
import dev.parley.inference.engine.RequestHandle;
import dev.parley.inference.engine.TokenEvent;
import dev.parley.server.http.ServerMetrics;
import io.vertx.core.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request in the engine, seen from a connection: the engine calls back on its own thread, and this hops every
 * callback onto the connection's Vert.x context, so the connection's handlers stay single-threaded and the engine
 * thread never waits for a socket. A request for n answers has one sink per answer (index i gets answer i); the
 * run cancels them together.
 */
public final class GenerationRun {
    /** Receives a run's output on the connection's context: tokens, then exactly one of completed/failed. */
    public interface Sink {
        /** The engine admitted the request into its running batch; {@code submittedNanos + queueNanos} is when. */
        default void admitted(int cachedTokens, long submittedNanos, long queueNanos) {}

        void token(TokenEvent event);

        void completed(Completion completion);

        void failed(RuntimeException error);
    }

    private final Context context;
    private final List<GenerationListener> choices;
    private final ServerMetrics metrics;
    private volatile RequestHandle handle;
    private volatile boolean cancelled;
    /** System.nanoTime() just before the request was handed to the engine. */
    private final long submittedNanos = System.nanoTime();

    /** Runs once, when the request stops waiting (admitted, ended, or never submitted). */
    private final Runnable onLeftQueue;
    private final AtomicBoolean leftQueue = new AtomicBoolean();

    GenerationRun(Context context, List<? extends Sink> sinks, ServerMetrics metrics, Runnable onLeftQueue) {
        this.context = context;
        this.metrics = metrics;
        this.onLeftQueue = onLeftQueue;
        List<GenerationListener> listeners = new ArrayList<>(sinks.size());
        for (int i = 0; i < sinks.size(); i++) listeners.add(new Choice(sinks.get(i), i == 0));
        this.choices = List.copyOf(listeners);
    }

    /** What the engine calls: one listener per answer, in index order. */
    List<GenerationListener> listeners() { return choices; }

    /** The request is no longer waiting for the engine (idempotent). */
    void leftQueue() {
        if (leftQueue.compareAndSet(false, true)) onLeftQueue.run();
    }

    void attach(RequestHandle h) {
        handle = h;
        if (cancelled) h.cancel(); // cancelled between submit and attach
    }

    /** Stops generation at the engine's next step; the sink still gets {@code completed} (reason cancelled). */
    public void cancel() {
        cancelled = true;
        RequestHandle h = handle;
        if (h != null) h.cancel();
    }

    public boolean cancelRequested() { return cancelled; }

    /** One answer's callbacks, hopped onto the connection's context; the first answer's admission is the request's. */
    private final class Choice implements GenerationListener {
        private final Sink sink;
        private final boolean first;
        /** When the previous token was sampled; only the engine thread touches it. */
        private long lastTokenNanos = -1;

        Choice(Sink sink, boolean first) {
            this.sink = sink;
            this.first = first;
        }

        @Override public void onAdmitted(int cachedTokens, long queueNanos) {
            leftQueue();
            if (first) metrics.admitted(queueNanos); // the request waited once, whatever its n
            context.runOnContext(v -> sink.admitted(cachedTokens, submittedNanos, queueNanos));
        }

        @Override public void onToken(TokenEvent event) {
            if (event.token() >= 0) {
                long now = System.nanoTime();
                metrics.tokenGenerated(lastTokenNanos < 0 ? -1 : now - lastTokenNanos);
                lastTokenNanos = now;
            }
            context.runOnContext(v -> sink.token(event));
        }

        @Override public void onComplete(Completion completion) {
            leftQueue(); // cancelled while waiting: never admitted
            metrics.completed(completion);
            context.runOnContext(v -> sink.completed(completion));
        }

        @Override public void onError(RuntimeException error) {
            leftQueue();
            context.runOnContext(v -> sink.failed(error));
        }
    }
}
