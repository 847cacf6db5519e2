package dev.parley.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import dev.parley.server.testing.WsClient;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** With API keys configured: HTTP needs a Bearer key, the WebSocket a header or ?api_key=, health stays open. */
class ApiKeyTest {
    static TestServer server;

    @BeforeAll static void start() {
        server = TestServer.start(ServerConfig.forTests().toBuilder().apiKeys(Set.of("sekrit")).build());
    }

    @AfterAll static void stop() {
        if (server != null) server.close();
    }

    @Test void httpNeedsTheKey() throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2}";
        var none = server.post("/v1/chat/completions", body, null);
        assertEquals(401, none.statusCode());
        assertEquals("invalid_api_key", new JsonObject(none.body()).getJsonObject("error").getString("code"));
        assertEquals(401, server.post("/v1/chat/completions", body, "wrong").statusCode());
        assertEquals(200, server.post("/v1/chat/completions", body, "sekrit").statusCode());
        assertEquals(401, server.get("/v1/models").statusCode());
        assertEquals(401, server.get("/v1/models?api_key=sekrit").statusCode(), "HTTP takes the header only (query strings end up in logs)");
    }

    @Test void healthAndMetricsStayOpen() throws Exception {
        assertEquals(200, server.get("/health/live").statusCode());
        assertEquals(200, server.get("/health/ready").statusCode());
        assertEquals(200, server.get("/metrics").statusCode());
    }

    @Test void webSocketNeedsTheKey() throws Exception {
        var e = assertThrows(Exception.class, () -> WsClient.connect(server.vertx, server.port, "/v1/chat/ws"));
        Throwable cause = e instanceof UpgradeRejectedException ? e : e.getCause();
        assertTrue(cause instanceof UpgradeRejectedException u && u.getStatus() == 401, String.valueOf(e));
        try (WsClient c = WsClient.connect(server.vertx, server.port, "/v1/chat/ws?api_key=sekrit")) {
            assertEquals("hello", c.next().getString("type"));
        }
    }
}
