package dev.parley.server.chat;

import dev.parley.inference.engine.TokenEvent;
import dev.parley.inference.sampling.TokenLogprobs;
import dev.parley.server.config.ServerConfig;
import io.vertx.core.Vertx;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/**
 * One reply streamed to one client, whatever the transport (WebSocket frames or SSE chunks): token text and logprobs
 * gather here and go out as one chunk whenever the connection can take it, so a client reading slower than the
 * engine writes gets fewer, larger chunks instead of an unbounded write queue. A client that reads nothing for the
 * slow-reader timeout, or lets more than the pending-text cap pile up, has its request cancelled: its engine slot
 * goes to others. Used on the connection's event-loop context only.
 */
public final class ReplyStream {
    private static final System.Logger LOG = System.getLogger(ReplyStream.class.getName());

    /** The connection under a stream, and how one chunk of the reply is written on it. */
    public interface Transport {
        /** The connection takes no more writes for now; its drain handler must call {@link #drained}. */
        boolean writeQueueFull();

        /** Nobody is left to write to. */
        boolean closed();

        /** Formats and writes one chunk: the text since the previous one and, when asked for, its tokens' logprobs. */
        void write(String text, List<TokenLogprobs> logprobs);
    }

    private final Vertx vertx;
    private final Transport transport;
    private final ServerConfig.Streaming limits;
    private final boolean withLogprobs;
    private final Runnable cancel;
    private final String what;
    private final StringBuilder pendingText = new StringBuilder();
    private final List<TokenLogprobs> pendingLogprobs = new ArrayList<>();
    private long slowReaderTimer = -1;

    /**
     * @param withLogprobs whether chunks carry the logprobs of their tokens
     * @param cancel       cancels the request (the engine ends it at its next step, as cancelled)
     * @param what         the request, for log lines
     */
    public ReplyStream(Vertx vertx, Transport transport, ServerConfig.Streaming limits, boolean withLogprobs, Runnable cancel,
                       String what) {
        this.vertx = vertx;
        this.transport = transport;
        this.limits = limits;
        this.withLogprobs = withLogprobs;
        this.cancel = cancel;
        this.what = what;
    }

    public void token(TokenEvent event) {
        if (transport.closed()) return; // nobody to send to; the connection's close handler cancels the request
        pendingText.append(event.text());
        if (withLogprobs && event.logprobs() != null) pendingLogprobs.add(event.logprobs());
        if (pendingText.length() > limits.maxPendingChars()) { // cancel rather than grow memory
            LOG.log(Level.INFO, what + ": client too slow, " + pendingText.length() + " characters unsent; cancelling");
            cancel.run();
            return;
        }
        flush(false);
    }

    /** The connection is writable again: what piled up goes out as one chunk. */
    public void drained() {
        stopTimer();
        flush(false);
    }

    /** The reply is over: whatever is pending goes out now (before the transport's last chunk), writable or not. */
    public void finish() {
        stopTimer();
        flush(true);
    }

    /** The connection closed: no timer may outlive it. */
    public void close() {
        stopTimer();
    }

    private void flush(boolean force) {
        if (transport.closed() || (pendingText.isEmpty() && pendingLogprobs.isEmpty())) return;
        if (!force && transport.writeQueueFull()) {
            startTimer();
            return;
        }
        transport.write(pendingText.toString(), withLogprobs ? List.copyOf(pendingLogprobs) : null);
        pendingText.setLength(0);
        pendingLogprobs.clear();
    }

    /** The client stopped reading: text coalesces meanwhile, and past the timeout its request is cancelled. */
    private void startTimer() {
        if (slowReaderTimer >= 0) return;
        long ms = limits.slowReaderTimeout().toMillis();
        slowReaderTimer = vertx.setTimer(ms, t -> {
            slowReaderTimer = -1;
            if (transport.closed() || !transport.writeQueueFull()) return;
            LOG.log(Level.INFO, what + ": client has not read for " + ms + " ms: cancelling");
            cancel.run();
        });
    }

    private void stopTimer() {
        if (slowReaderTimer < 0) return;
        vertx.cancelTimer(slowReaderTimer);
        slowReaderTimer = -1;
    }
}
