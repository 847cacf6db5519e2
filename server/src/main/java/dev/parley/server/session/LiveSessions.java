package dev.parley.server.session;

import dev.parley.server.chat.ChatException;
import dev.parley.server.chat.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The session objects this replica holds, by id: they carry the one-request-at-a-time reservation, so every socket of
 * the replica must see the same object. Bounded in number and swept after an idle TTL.
 */
final class LiveSessions {
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final int max;
    private final long ttlNanos;
    private final Vertx vertx;
    private final long sweepTimer;

    LiveSessions(Vertx vertx, int max, Duration ttl) {
        this.vertx = vertx;
        this.max = max;
        this.ttlNanos = ttl.toNanos();
        long sweepMs = Math.max(1000, Math.min(60_000, ttl.toMillis() / 4));
        this.sweepTimer = vertx.setPeriodic(sweepMs, t -> sweep());
    }

    /** A new session with an unguessable id (ids are the only key needed to resume a conversation). */
    Session create() {
        ensureRoom();
        Session s = new Session(SessionIds.random());
        sessions.put(s.id(), s);
        return s;
    }

    /** The live session, or null. */
    Session find(String id) {
        Session s = sessions.get(id);
        if (s != null) s.touch();
        return s;
    }

    /**
     * The live session with this id, or a new object for it (a session another replica started, or one a client
     * proposes). Atomic per id: concurrent callers get the same object, whose reservation then admits one of them.
     */
    Session findOrAdd(String id) {
        Session s = find(id);
        if (s != null) return s;
        ensureRoom();
        return sessions.computeIfAbsent(id, Session::new);
    }

    /**
     * The session with this id (found, or a new object for it) reserved here for {@code requestId}: fails as overloaded
     * when there is no room, or as busy when another request of this replica holds it.
     */
    Future<Session> reserveHere(String id, String requestId) {
        Session s;
        try {
            s = findOrAdd(id);
        } catch (ChatException e) {
            return Future.failedFuture(e);
        }
        return s.reserve(requestId) ? Future.succeededFuture(s) : Future.failedFuture(SessionStores.busyHere(s));
    }

    void forget(String id) {
        Session s = sessions.get(id);
        if (s != null && s.busyWith() == null) sessions.remove(id, s);
    }

    int size() { return sessions.size(); }

    void close() { vertx.cancelTimer(sweepTimer); }

    private void ensureRoom() {
        sweep();
        if (sessions.size() >= max) throw new ChatException(ErrorCode.OVERLOADED, "too many live sessions (" + max + ")", 5000L);
    }

    private void sweep() {
        sessions.values().removeIf(s -> s.idleLongerThan(ttlNanos));
    }
}
