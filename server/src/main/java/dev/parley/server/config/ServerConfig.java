package dev.parley.server.config;

import dev.parley.inference.engine.EngineConfig;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Everything the server needs besides the model, in groups by concern. Built with {@link #builder()}, whose defaults
 * are the constants below ({@code parley serve}'s option defaults are the same constants), so no two same-typed
 * settings are ever passed by position.
 */
public record ServerConfig(Http http, Auth auth, Admission admission, Streaming streaming, Sessions sessions,
                           Shutdown shutdown, EngineConfig engine) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_MAX_FRAME_BYTES = 1 << 20;
    /** Default bound on queued prompt tokens: 64 long prompts' worth. */
    public static final long DEFAULT_MAX_WAITING_TOKENS = 1L << 18;
    public static final int DEFAULT_SLOW_READER_TIMEOUT_SECONDS = 30;
    /** The default slow-reader allowance: 1 Mi characters per request. */
    public static final int DEFAULT_MAX_PENDING_CHARS = 1 << 20;
    /** The {@code --session-store} value for sessions in this process only. */
    public static final String MEMORY_STORE = "memory";
    public static final int DEFAULT_MAX_SESSIONS = 10_000;
    public static final int DEFAULT_SESSION_TTL_SECONDS = 1800;
    /** Long enough that renewals (every third of it) survive a Redis hiccup, short enough to wait out a dead replica. */
    public static final int DEFAULT_SESSION_LEASE_TTL_SECONDS = 10;
    public static final int DEFAULT_SHUTDOWN_DELAY_SECONDS = 0;
    public static final int DEFAULT_DRAIN_TIMEOUT_SECONDS = 10;

    /**
     * Where and what the server listens for.
     *
     * @param maxFrameBytes largest WebSocket message / HTTP body accepted; larger ones get an error and the socket stays open
     */
    public record Http(String host, int port, int maxFrameBytes) {
        public Http {
            if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in [0, 65535] (got " + port + ")");
            if (maxFrameBytes < 1024)
                throw new IllegalArgumentException("max frame size must be >= 1024 bytes (got " + maxFrameBytes + ")");
        }
    }

    /**
     * Who may use the server.
     *
     * @param apiKeys        accepted API keys; empty = no authentication
     * @param allowedOrigins Origins allowed to open the WebSocket ({@code scheme://host[:port]}, or {@code *}); empty =
     *                       the server's own host and localhost (see {@code ws.UpgradeGuard})
     */
    public record Auth(Set<String> apiKeys, Set<String> allowedOrigins) {
        public Auth {
            apiKeys = Set.copyOf(apiKeys);
            allowedOrigins = allowedOrigins.stream().map(o -> o.strip().toLowerCase(Locale.ROOT).replaceAll("/$", ""))
                    .collect(Collectors.toUnmodifiableSet());
        }

        public boolean required() { return !apiKeys.isEmpty(); }
    }

    /**
     * How much work is taken before new requests are refused as overloaded (the engine's own queue bound is in
     * {@link EngineConfig}).
     *
     * @param maxWaitingTokens prompt tokens of requests accepted but not yet admitted by the engine; beyond it new
     *                         requests are refused (one request alone is always let into an empty queue)
     */
    public record Admission(long maxWaitingTokens) {
        public Admission {
            if (maxWaitingTokens < 1)
                throw new IllegalArgumentException("max waiting tokens must be >= 1 (got " + maxWaitingTokens + ")");
        }
    }

    /**
     * How replies are streamed to a client that reads slower than the engine writes (WebSocket and SSE alike).
     *
     * @param slowReaderTimeout a client whose connection stays unwritable this long has its requests cancelled
     * @param maxPendingChars   reply text held back per request for a slow reader; past it the request is cancelled
     */
    public record Streaming(Duration slowReaderTimeout, int maxPendingChars) {
        public Streaming {
            if (slowReaderTimeout.toMillis() < 1) // a timer cannot be set for less
                throw new IllegalArgumentException("slow-reader timeout must be >= 1 ms (got " + slowReaderTimeout + ")");
            if (maxPendingChars < 1)
                throw new IllegalArgumentException("max pending characters must be >= 1 (got " + maxPendingChars + ")");
        }
    }

    /**
     * Chat sessions.
     *
     * @param store    where sessions live: {@code memory} (this process) or {@code redis://HOST:PORT/DB} (shared by
     *                 replicas, so any of them can resume a session)
     * @param maxLive  live sessions this replica holds; beyond it new sessions are refused as overloaded
     * @param ttl      a session nobody used for this long is forgotten
     * @param leaseTtl with a shared store, how long a replica's claim on a busy session outlives the replica (it is
     *                 renewed while the request runs); see {@code session.RedisSessionStore}
     */
    public record Sessions(String store, int maxLive, Duration ttl, Duration leaseTtl) {
        public Sessions {
            validateStore(store);
            if (maxLive < 1) throw new IllegalArgumentException("max sessions must be >= 1 (got " + maxLive + ")");
            if (leaseTtl.toMillis() < 300)
                throw new IllegalArgumentException("session lease TTL must be >= 300 ms (got " + leaseTtl.toMillis() + " ms)");
        }

        public boolean inMemory() { return MEMORY_STORE.equals(store); }
    }

    /**
     * Graceful shutdown.
     *
     * @param delay        how long readiness already says 503 while new work is still taken, so load balancers that
     *                     poll readiness stop routing here before anything is refused; the drain follows it
     * @param drainTimeout how long in-flight requests may run on before they are cancelled
     */
    public record Shutdown(Duration delay, Duration drainTimeout) {
        public Shutdown {
            if (delay.isNegative()) throw new IllegalArgumentException("shutdown delay must be >= 0 (got " + delay + ")");
            if (drainTimeout.isNegative())
                throw new IllegalArgumentException("drain timeout must be >= 0 (got " + drainTimeout + ")");
        }
    }

    public ServerConfig {
        if (http == null || auth == null || admission == null || streaming == null || sessions == null || shutdown == null
                || engine == null) throw new IllegalArgumentException("every part of the server config is required");
    }

    /** {@code parley serve}'s defaults. */
    public static Builder builder() { return new Builder(); }

    /** The defaults for tests and embedding: an ephemeral port on loopback, 1000 live sessions. */
    public static ServerConfig forTests() {
        return builder().port(0).maxSessions(1000).build();
    }

    /** A builder holding this config's values, to change a few of them. */
    public Builder toBuilder() {
        return new Builder().host(http.host()).port(http.port()).maxFrameBytes(http.maxFrameBytes())
                .apiKeys(auth.apiKeys()).allowedOrigins(auth.allowedOrigins())
                .maxWaitingTokens(admission.maxWaitingTokens())
                .slowReaderTimeout(streaming.slowReaderTimeout()).maxPendingChars(streaming.maxPendingChars())
                .sessionStore(sessions.store()).maxSessions(sessions.maxLive()).sessionTtl(sessions.ttl())
                .sessionLeaseTtl(sessions.leaseTtl())
                .shutdownDelay(shutdown.delay()).drainTimeout(shutdown.drainTimeout())
                .engine(engine);
    }

    /** Rejects a value that names neither store, at startup rather than at the first chat. */
    public static void validateStore(String store) {
        if (MEMORY_STORE.equals(store)) return;
        String hint = " (expected memory or redis://HOST:PORT/DB)";
        if (store == null || !store.startsWith("redis://"))
            throw new IllegalArgumentException("unknown session store '" + store + "'" + hint);
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

    /** One setter per setting, named like {@code parley serve}'s options; every default is a constant above. */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
        private Set<String> apiKeys = Set.of();
        private Set<String> allowedOrigins = Set.of();
        private long maxWaitingTokens = DEFAULT_MAX_WAITING_TOKENS;
        private Duration slowReaderTimeout = Duration.ofSeconds(DEFAULT_SLOW_READER_TIMEOUT_SECONDS);
        private int maxPendingChars = DEFAULT_MAX_PENDING_CHARS;
        private String sessionStore = MEMORY_STORE;
        private int maxSessions = DEFAULT_MAX_SESSIONS;
        private Duration sessionTtl = Duration.ofSeconds(DEFAULT_SESSION_TTL_SECONDS);
        private Duration sessionLeaseTtl = Duration.ofSeconds(DEFAULT_SESSION_LEASE_TTL_SECONDS);
        private Duration shutdownDelay = Duration.ofSeconds(DEFAULT_SHUTDOWN_DELAY_SECONDS);
        private Duration drainTimeout = Duration.ofSeconds(DEFAULT_DRAIN_TIMEOUT_SECONDS);
        private EngineConfig engine = EngineConfig.defaults();

        private Builder() {}

        public Builder host(String value) { host = value; return this; }
        public Builder port(int value) { port = value; return this; }
        public Builder maxFrameBytes(int value) { maxFrameBytes = value; return this; }
        public Builder apiKeys(Set<String> value) { apiKeys = value; return this; }
        public Builder allowedOrigins(Set<String> value) { allowedOrigins = value; return this; }
        public Builder maxWaitingTokens(long value) { maxWaitingTokens = value; return this; }
        public Builder slowReaderTimeout(Duration value) { slowReaderTimeout = value; return this; }
        public Builder maxPendingChars(int value) { maxPendingChars = value; return this; }
        public Builder sessionStore(String value) { sessionStore = value; return this; }
        public Builder maxSessions(int value) { maxSessions = value; return this; }
        public Builder sessionTtl(Duration value) { sessionTtl = value; return this; }
        public Builder sessionLeaseTtl(Duration value) { sessionLeaseTtl = value; return this; }
        public Builder shutdownDelay(Duration value) { shutdownDelay = value; return this; }
        public Builder drainTimeout(Duration value) { drainTimeout = value; return this; }
        public Builder engine(EngineConfig value) { engine = value; return this; }

        /** Validates every group; the first invalid setting is an IllegalArgumentException naming it. */
        public ServerConfig build() {
            return new ServerConfig(new Http(host, port, maxFrameBytes), new Auth(apiKeys, allowedOrigins),
                    new Admission(maxWaitingTokens), new Streaming(slowReaderTimeout, maxPendingChars),
                    new Sessions(sessionStore, maxSessions, sessionTtl, sessionLeaseTtl), new Shutdown(shutdownDelay, drainTimeout),
                    engine);
        }
    }
}
