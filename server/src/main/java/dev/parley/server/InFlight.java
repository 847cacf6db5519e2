package dev.parley.server;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Requests the server took and has not answered to their last frame (done, error, or the end of an HTTP response).
 * A drain waits for these, not only for the engine: a WebSocket reply's done frame goes out after the engine
 * finished, once its turn is saved, and a request may still be looking up its session or formatting its prompt.
 */
final class InFlight {
    private final AtomicInteger count = new AtomicInteger();

    void begin() { count.incrementAndGet(); }

    void end() { count.decrementAndGet(); }

    int count() { return count.get(); }
}
