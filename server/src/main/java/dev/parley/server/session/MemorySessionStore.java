package dev.parley.server.session;

import dev.parley.server.chat.ChatException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;

/** Sessions in this process only (the embedded default): nothing to save, lost with the process. */
final class MemorySessionStore implements SessionStore {
    private final LiveSessions live;

    MemorySessionStore(Vertx vertx, int max, Duration ttl) {
        this.live = new LiveSessions(vertx, max, ttl);
    }

    @Override public Future<Session> create(String requestId) {
        try {
            Session s = live.create();
            s.reserve(requestId); // nobody else knows the id yet
            return Future.succeededFuture(s);
        } catch (ChatException e) {
            return Future.failedFuture(e);
        }
    }

    @Override public Future<Session> reserve(String id, String requestId) {
        Session s = live.find(id);
        if (s == null) return Future.failedFuture(SessionStores.notFound(id));
        if (!s.reserve(requestId)) return Future.failedFuture(SessionStores.busyHere(s));
        return Future.succeededFuture(s);
    }

    /** findOrAdd hands every caller the same object, and its reservation admits one request. */
    @Override public Future<Session> reserveOrCreate(String id, String requestId) {
        return live.reserveHere(id, requestId);
    }

    /** The session object is the store: its state is already where the next lookup reads it. */
    @Override public Future<Void> release(Session session, String requestId, boolean save) {
        session.release(requestId);
        return Future.succeededFuture();
    }

    @Override public Future<Session> get(String id) {
        Session s = live.find(id);
        return s != null ? Future.succeededFuture(s) : Future.failedFuture(SessionStores.notFound(id));
    }

    @Override public int size() { return live.size(); }

    @Override public Future<Void> close() {
        live.close();
        return Future.succeededFuture();
    }
}
