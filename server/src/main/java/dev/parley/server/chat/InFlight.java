package dev.parley.server.chat;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Requests the server took and has not answered to their last frame (done, error, or the end of an HTTP response).
 * A drain waits for these, not only for the engine: a WebSocket reply's done frame goes out after the engine
 * finished, once its turn is saved, and a request may still be looking up its session or formatting its prompt.
 */
public final class InFlight {
    private final AtomicInteger count = new AtomicInteger();

    public void begin() { count.incrementAndGet(); }

    public void end() { count.decrementAndGet(); }

    public int count() { return count.get(); }
}
