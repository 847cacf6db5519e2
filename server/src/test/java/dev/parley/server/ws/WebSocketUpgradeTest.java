package dev.parley.server.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import dev.parley.server.testing.WsClient;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** WebSocket upgrades: the API key as a subprotocol (browsers) and the Origin allow-list. */
class WebSocketUpgradeTest {
    static TestServer server;

    @BeforeAll static void start() {
        server = TestServer.start(ServerConfig.forTests().toBuilder().apiKeys(Set.of("sekrit-1"))
                .allowedOrigins(Set.of("https://chat.example.com")).build());
    }

    @AfterAll static void stop() {
        if (server != null) server.close();
    }

    /** Vert.x's client sends Origin: http://HOST:PORT by default, as a browser would; here only when a test adds one. */
    private static WebSocketConnectOptions options() {
        return new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port).setURI("/v1/chat/ws").setAllowOriginHeader(false);
    }

    private static int refusedWith(WebSocketConnectOptions o) {
        var e = assertThrows(Exception.class, () -> WsClient.connect(server.vertx, o));
        Throwable cause = e instanceof UpgradeRejectedException ? e : e.getCause();
        assertTrue(cause instanceof UpgradeRejectedException, String.valueOf(e));
        return ((UpgradeRejectedException) cause).getStatus();
    }

    @Test void keyInTheSubprotocolIsAcceptedAndOnlyParleyV1IsEchoed() throws Exception {
        try (WsClient c = WsClient.connect(server.vertx, options().setSubProtocols(List.of("parley.v1", "parley.api-key.sekrit-1")))) {
            assertEquals("parley.v1", c.ws.subProtocol(), "the key is not echoed back");
            assertEquals("hello", c.next().getString("type"));
        }
        // only the key protocol listed: a browser needs one of its protocols back, so that one is echoed
        try (WsClient c = WsClient.connect(server.vertx, options().setSubProtocols(List.of("parley.api-key.sekrit-1")))) {
            assertEquals("parley.api-key.sekrit-1", c.ws.subProtocol());
            assertEquals("hello", c.next().getString("type"));
        }
        assertEquals(401, refusedWith(options().setSubProtocols(List.of("parley.v1", "parley.api-key.wrong"))));
        assertEquals(401, refusedWith(options().setSubProtocols(List.of("parley.v1"))));
        // the header and query-parameter forms still work
        try (WsClient c = WsClient.connect(server.vertx, options().addHeader("Authorization", "Bearer sekrit-1"))) {
            assertEquals("hello", c.next().getString("type"));
        }
    }

    @Test void originsOutsideTheAllowListAreRefusedWith403() throws Exception {
        // with the Origin header allowed, Vert.x sends the one given instead of its default
        WebSocketConnectOptions authed = options().setURI("/v1/chat/ws?api_key=sekrit-1").setAllowOriginHeader(true);
        assertEquals(403, refusedWith(new WebSocketConnectOptions(authed).addHeader("Origin", "https://evil.example")));
        assertEquals(403, refusedWith(new WebSocketConnectOptions(authed).addHeader("Origin", "http://localhost:3000")),
                "an explicit list replaces the localhost default");
        try (WsClient c = WsClient.connect(server.vertx, new WebSocketConnectOptions(authed).addHeader("Origin", "https://chat.example.com"))) {
            assertEquals("hello", c.next().getString("type"));
        }
        // a wrong origin is refused before the key is even looked at
        assertEquals(403, refusedWith(options().setAllowOriginHeader(true).addHeader("Origin", "https://evil.example")));
    }

    @Test void defaultPolicyAllowsTheServersOwnHostAndLocalhost() {
        Set<String> dflt = Set.of();
        assertTrue(UpgradeGuard.originAllowed(dflt, "http://localhost:5173", "parley.internal:8080"));
        assertTrue(UpgradeGuard.originAllowed(dflt, "http://127.0.0.1:9999", "parley.internal:8080"));
        assertTrue(UpgradeGuard.originAllowed(dflt, "http://[::1]:8080", "parley.internal:8080"));
        assertTrue(UpgradeGuard.originAllowed(dflt, "http://parley.internal:8080", "parley.internal:8080"));
        assertTrue(UpgradeGuard.originAllowed(dflt, "https://chat.example.com", "chat.example.com"));
        assertFalse(UpgradeGuard.originAllowed(dflt, "https://chat.example.com", "chat.example.com:8080"));
        assertFalse(UpgradeGuard.originAllowed(dflt, "http://evil.example", "parley.internal:8080"));
        assertFalse(UpgradeGuard.originAllowed(dflt, "null", "parley.internal:8080"));
        assertTrue(UpgradeGuard.originAllowed(Set.of("*"), "http://anything.example", "x"));
    }
}
