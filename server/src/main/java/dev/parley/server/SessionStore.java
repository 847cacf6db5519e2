package dev.parley.server;

import io.vertx.core.Vertx;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Live sessions by id, shared by every socket; bounded in number and swept after an idle TTL. */
public final class SessionStore {
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final int max;
    private final long ttlNanos;

    SessionStore(Vertx vertx, int max, Duration ttl) {
        this.max = max;
        this.ttlNanos = ttl.toNanos();
        long sweepMs = Math.max(1000, Math.min(60_000, ttl.toMillis() / 4));
        vertx.setPeriodic(sweepMs, t -> sweep());
    }

    /** A new session with an unguessable id (ids are the only key needed to resume a conversation). */
    Session create() {
        sweep();
        if (sessions.size() >= max) throw new ChatException(ErrorCode.OVERLOADED, "too many live sessions (" + max + ")", 5000L);
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        Session s = new Session("s-" + HexFormat.of().formatHex(bytes));
        sessions.put(s.id(), s);
        return s;
    }

    Session get(String id) {
        Session s = sessions.get(id);
        if (s == null) throw new ChatException(ErrorCode.NOT_FOUND, "no session '" + id + "' (it may have expired)");
        s.touch();
        return s;
    }

    int size() { return sessions.size(); }

    private void sweep() {
        sessions.values().removeIf(s -> s.idleLongerThan(ttlNanos));
    }
}
