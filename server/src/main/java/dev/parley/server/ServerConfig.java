package dev.parley.server;

import dev.parley.inference.engine.EngineConfig;
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
 */
public record ServerConfig(String host, int port, Set<String> apiKeys, int maxFrameBytes, int maxSessions,
                           Duration sessionTtl, Duration slowReaderLimit, Duration drainTimeout,
                           EngineConfig engine, String chatTemplate) {
    public ServerConfig {
        apiKeys = Set.copyOf(apiKeys);
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in [0, 65535] (got " + port + ")");
        if (maxFrameBytes < 1024) throw new IllegalArgumentException("max frame size must be >= 1024 bytes (got " + maxFrameBytes + ")");
        if (maxSessions < 1) throw new IllegalArgumentException("max sessions must be >= 1 (got " + maxSessions + ")");
    }

    /** Defaults for tests and embedding: an ephemeral port on loopback, no API keys. */
    public static ServerConfig forTests() {
        return new ServerConfig("127.0.0.1", 0, Set.of(), 1 << 20, 1000, Duration.ofMinutes(30),
                Duration.ofSeconds(30), Duration.ofSeconds(10), EngineConfig.defaults(), null);
    }

    public ServerConfig withApiKeys(Set<String> keys) {
        return new ServerConfig(host, port, keys, maxFrameBytes, maxSessions, sessionTtl, slowReaderLimit, drainTimeout, engine, chatTemplate);
    }

    public ServerConfig withEngine(EngineConfig e) {
        return new ServerConfig(host, port, apiKeys, maxFrameBytes, maxSessions, sessionTtl, slowReaderLimit, drainTimeout, e, chatTemplate);
    }

    public boolean authRequired() { return !apiKeys.isEmpty(); }
}
