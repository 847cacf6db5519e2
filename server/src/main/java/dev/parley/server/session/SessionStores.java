package dev.parley.server.session;

import dev.parley.server.chat.ChatException;
import dev.parley.server.chat.ErrorCode;
import dev.parley.server.config.ServerConfig;
import io.vertx.core.Vertx;

/** Chooses the session store from its configuration value: {@code memory} or {@code redis://HOST:PORT/DB}. */
public final class SessionStores {
    private SessionStores() {}

    public static SessionStore open(Vertx vertx, ServerConfig.Sessions config) {
        if (config.inMemory()) return new MemorySessionStore(vertx, config.maxLive(), config.ttl());
        return new RedisSessionStore(vertx, config.store(), config.maxLive(), config.ttl(), config.leaseTtl());
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

    public static ChatException notFound(String id) {
        // a client string may be long: echo enough of it to recognize
        String shown = id.length() <= 140 ? id : id.substring(0, 140) + "... (" + id.length() + " characters)";
        return new ChatException(ErrorCode.NOT_FOUND, "no session '" + shown + "' (it may have expired)");
    }
}
