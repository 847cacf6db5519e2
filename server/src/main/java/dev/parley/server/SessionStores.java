package dev.parley.server;

import io.vertx.core.Vertx;
import java.net.URI;

/** Chooses the session store from its configuration value: {@code memory} or {@code redis://HOST:PORT/DB}. */
final class SessionStores {
    static final String MEMORY = "memory";

    private SessionStores() {}

    static SessionStore open(Vertx vertx, ServerConfig config) {
        validate(config.sessionStore());
        if (config.sessionStore().equals(MEMORY)) return new MemorySessionStore(vertx, config.maxSessions(), config.sessionTtl());
        return new RedisSessionStore(vertx, config.sessionStore(), config.maxSessions(), config.sessionTtl(), config.sessionLeaseTtl());
    }

    /** Rejects a value that names neither store, at startup rather than at the first chat. */
    static void validate(String store) {
        if (MEMORY.equals(store)) return;
        String hint = " (expected memory or redis://HOST:PORT/DB)";
        if (store == null || !store.startsWith("redis://")) throw new IllegalArgumentException("unknown session store '" + store + "'" + hint);
        URI uri;
        try {
            uri = URI.create(store);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid session store URI '" + store + "'" + hint);
        }
        if (uri.getHost() == null) throw new IllegalArgumentException("session store URI '" + store + "' has no host" + hint);
        String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
        if (!path.isEmpty() && !path.matches("\\d+"))
            throw new IllegalArgumentException("session store URI '" + store + "': the path must be a database number" + hint);
    }

    /** The one-request-at-a-time rule (server/PROTOCOL.md): the same code whichever replica runs the other request. */
    static ChatException busyHere(Session s) {
        return new ChatException(ErrorCode.BAD_REQUEST, "session " + s.id() + " is busy with request '" + s.busyWith()
                + "': cancel it or wait for its done frame");
    }

    /** Busy with a request on another replica: it cannot be cancelled from here, so the client is told when to retry. */
    static ChatException busyElsewhere(String id, long retryAfterMs) {
        return new ChatException(ErrorCode.BAD_REQUEST, "session " + id + " is busy with a request on another server:"
                + " wait for its done frame (or retry after " + retryAfterMs + " ms if that server went away)", retryAfterMs);
    }

    static ChatException notFound(String id) {
        // a client string may be long: echo enough of it to recognize
        String shown = id.length() <= 140 ? id : id.substring(0, 140) + "... (" + id.length() + " characters)";
        return new ChatException(ErrorCode.NOT_FOUND, "no session '" + shown + "' (it may have expired)");
    }
}
