package dev.parley.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;

/** Sessions in this process only (the embedded default): nothing to save, lost with the process. */
final class MemorySessionStore implements SessionStore {
    private final LiveSessions live;

    MemorySessionStore(Vertx vertx, int max, Duration ttl) {
        this.live = new LiveSessions(vertx, max, ttl);
    }

    @Override public Future<Session> create() {
        try {
            return Future.succeededFuture(live.create());
        } catch (ChatException e) {
            return Future.failedFuture(e);
        }
    }

    @Override public Future<Session> get(String id) {
        Session s = live.find(id);
        return s != null ? Future.succeededFuture(s) : Future.failedFuture(SessionStores.notFound(id));
    }

    /** The session object is the store: its state is already where the next lookup reads it. */
    @Override public Future<Void> save(Session session) { return Future.succeededFuture(); }

    @Override public int size() { return live.size(); }

    @Override public Future<Void> close() {
        live.close();
        return Future.succeededFuture();
    }
}
