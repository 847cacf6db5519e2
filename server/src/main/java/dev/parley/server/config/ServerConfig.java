package dev.parley.server.config;

import dev.parley.inference.engine.EngineConfig;
import java.net.URI;
import java.time.Duration;
import java.util.Set;

/**
 * Everything the server needs besides the model.
 *
 * @param apiKeys          accepted API keys; empty = no authentication
 * @param maxFrameBytes    largest WebSocket message / HTTP body accepted; larger ones get an error and the socket stays open
 * @param maxSessions      live WebSocket chat sessions; beyond it new sessions are refused as overloaded
 * @param sessionTtl       a session nobody used for this long is forgotten
 * @param slowReaderLimit  a client whose socket stays unwritable this long has its requests cancelled
 * @param drainTimeout     on shutdown, how long in-flight requests may run on before they are cancelled
 * @param chatTemplate     Jinja source overriding the model's template; null = the model's own, or ChatML if it has none
 * @param allowedOrigins   Origins allowed to open the WebSocket ({@code scheme://host[:port]}, or {@code *}); empty = the
 *                         server's own host and localhost (see {@code ws.UpgradeGuard})
 * @param maxPendingChars  reply text held back per request for a slow reader; past it the request is cancelled
 * @param maxWaitingTokens prompt tokens of requests accepted but not yet admitted by the engine; beyond it new requests
 *                         are refused as overloaded (one request alone is always let into an empty queue)
 * @param sessionStore     where sessions live: {@code memory} (this process) or {@code redis://HOST:PORT/DB} (shared by
 *                         replicas, so any of them can resume a session); see {@code session.SessionStores}
 * @param shutdownDelay    on shutdown, how long readiness already says 503 while new work is still taken, so load balancers
 *                         that poll readiness stop routing here before anything is refused; the drain timeout follows it
 * @param sessionLeaseTtl  with a shared store, how long a replica's claim on a busy session outlives the replica (it is
 *                         renewed while the request runs); see {@code session.RedisSessionStore}
 */
public record ServerConfig(String host, int port, Set<String> apiKeys, int maxFrameBytes, int maxSessions,
                           Duration sessionTtl, Duration slowReaderLimit, Duration drainTimeout,
                           EngineConfig engine, String chatTemplate, Set<String> allowedOrigins, int maxPendingChars,
                           long maxWaitingTokens, String sessionStore, Duration shutdownDelay, Duration sessionLeaseTtl) {
    /** The default slow-reader allowance: 1 Mi characters per request. */
    /** The {@code --session-store} value for sessions in this process only. */
    public static final String MEMORY_STORE = "memory";
    public static final int DEFAULT_MAX_PENDING_CHARS = 1 << 20;
    /** Default bound on queued prompt tokens: 64 long prompts' worth. */
    public static final long DEFAULT_MAX_WAITING_TOKENS = 1L << 18;
    /** Long enough that renewals (every third of it) survive a Redis hiccup, short enough to wait out a dead replica. */
    public static final Duration DEFAULT_SESSION_LEASE_TTL = Duration.ofSeconds(10);

    public ServerConfig {
        apiKeys = Set.copyOf(apiKeys);
        allowedOrigins = allowedOrigins.stream().map(o -> o.strip().toLowerCase(java.util.Locale.ROOT).replaceAll("/$", ""))
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
        if (maxWaitingTokens < 1) throw new IllegalArgumentException("max waiting tokens must be >= 1 (got " + maxWaitingTokens + ")");
        if (maxPendingChars < 1) throw new IllegalArgumentException("max pending characters must be >= 1 (got " + maxPendingChars + ")");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in [0, 65535] (got " + port + ")");
        if (maxFrameBytes < 1024) throw new IllegalArgumentException("max frame size must be >= 1024 bytes (got " + maxFrameBytes + ")");
        validateSessionStore(sessionStore);
        if (maxSessions < 1) throw new IllegalArgumentException("max sessions must be >= 1 (got " + maxSessions + ")");
        if (shutdownDelay.isNegative()) throw new IllegalArgumentException("shutdown delay must be >= 0 (got " + shutdownDelay + ")");
        if (drainTimeout.isNegative()) throw new IllegalArgumentException("drain timeout must be >= 0 (got " + drainTimeout + ")");
        if (sessionLeaseTtl.toMillis() < 300)
            throw new IllegalArgumentException("session lease TTL must be >= 300 ms (got " + sessionLeaseTtl.toMillis() + " ms)");
    }

    /** Rejects a value that names neither store, at startup rather than at the first chat. */
    public static void validateSessionStore(String store) {
        if (MEMORY_STORE.equals(store)) return;
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

    /** Defaults for tests and embedding: an ephemeral port on loopback, no API keys. */
    public static ServerConfig forTests() {
        return new ServerConfig("127.0.0.1", 0, Set.of(), 1 << 20, 1000, Duration.ofMinutes(30),
                Duration.ofSeconds(30), Duration.ofSeconds(10), EngineConfig.defaults(), null, Set.of(), DEFAULT_MAX_PENDING_CHARS,
                DEFAULT_MAX_WAITING_TOKENS, MEMORY_STORE, Duration.ZERO, DEFAULT_SESSION_LEASE_TTL);
    }

    public ServerConfig withApiKeys(Set<String> keys) {
        return new ServerConfig(host, port, keys, maxFrameBytes, maxSessions, sessionTtl, slowReaderLimit, drainTimeout, engine,
                chatTemplate, allowedOrigins, maxPendingChars, maxWaitingTokens, sessionStore, shutdownDelay, sessionLeaseTtl);
    }

    public ServerConfig withEngine(EngineConfig e) {
        return new ServerConfig(host, port, apiKeys, maxFrameBytes, maxSessions, sessionTtl, slowReaderLimit, drainTimeout, e,
                chatTemplate, allowedOrigins, maxPendingChars, maxWaitingTokens, sessionStore, shutdownDelay, sessionLeaseTtl);
    }

    public ServerConfig withAllowedOrigins(Set<String> origins) {
        return new ServerConfig(host, port, apiKeys, maxFrameBytes, maxSessions, sessionTtl, slowReaderLimit, drainTimeout, engine,
                chatTemplate, origins, maxPendingChars, maxWaitingTokens, sessionStore, shutdownDelay, sessionLeaseTtl);
    }

    /** How long a socket may stay unwritable, and how much text may pile up per request, before requests are cancelled. */
    public ServerConfig withSlowReaderLimits(Duration unwritable, int pendingChars) {
        return new ServerConfig(host, port, apiKeys, maxFrameBytes, maxSessions, sessionTtl, unwritable, drainTimeout, engine,
                chatTemplate, allowedOrigins, pendingChars, maxWaitingTokens, sessionStore, shutdownDelay, sessionLeaseTtl);
    }

    public ServerConfig withMaxWaitingTokens(long tokens) {
        return new ServerConfig(host, port, apiKeys, maxFrameBytes, maxSessions, sessionTtl, slowReaderLimit, drainTimeout, engine,
                chatTemplate, allowedOrigins, maxPendingChars, tokens, sessionStore, shutdownDelay, sessionLeaseTtl);
    }

    public ServerConfig withMaxSessions(int sessions) {
        return new ServerConfig(host, port, apiKeys, maxFrameBytes, sessions, sessionTtl, slowReaderLimit, drainTimeout, engine,
                chatTemplate, allowedOrigins, maxPendingChars, maxWaitingTokens, sessionStore, shutdownDelay, sessionLeaseTtl);
    }

    public ServerConfig withDrainTimeout(Duration d) {
        return new ServerConfig(host, port, apiKeys, maxFrameBytes, maxSessions, sessionTtl, slowReaderLimit, d, engine,
                chatTemplate, allowedOrigins, maxPendingChars, maxWaitingTokens, sessionStore, shutdownDelay, sessionLeaseTtl);
    }

    public ServerConfig withSessionStore(String store) {
        return new ServerConfig(host, port, apiKeys, maxFrameBytes, maxSessions, sessionTtl, slowReaderLimit, drainTimeout, engine,
                chatTemplate, allowedOrigins, maxPendingChars, maxWaitingTokens, store, shutdownDelay, sessionLeaseTtl);
    }

    public ServerConfig withShutdownDelay(Duration d) {
        return new ServerConfig(host, port, apiKeys, maxFrameBytes, maxSessions, sessionTtl, slowReaderLimit, drainTimeout, engine,
                chatTemplate, allowedOrigins, maxPendingChars, maxWaitingTokens, sessionStore, d, sessionLeaseTtl);
    }

    public ServerConfig withSessionLeaseTtl(Duration ttl) {
        return new ServerConfig(host, port, apiKeys, maxFrameBytes, maxSessions, sessionTtl, slowReaderLimit, drainTimeout, engine,
                chatTemplate, allowedOrigins, maxPendingChars, maxWaitingTokens, sessionStore, shutdownDelay, ttl);
    }

    public boolean authRequired() { return !apiKeys.isEmpty(); }
}
