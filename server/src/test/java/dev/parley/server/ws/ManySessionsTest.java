package dev.parley.server.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.engine.EngineConfig;
import dev.parley.inference.model.MatmulMode;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** 64 WebSocket sessions streaming at once on stories260K: every one completes, no errors, the heap stays small. */
class ManySessionsTest {
    static final int SESSIONS = 64;
    static final int TOKENS = 80;

    @Test void sixtyFourConcurrentSessionsAllComplete() throws Exception {
        ServerConfig config = ServerConfig.forTests().toBuilder().engine(new EngineConfig(16, SESSIONS, 64, MatmulMode.GGML)).build();
        try (TestServer server = TestServer.start(config)) {
            long heapBefore = usedHeapAfterGc();
            // Vert.x's client allows 50 WebSockets per server by default
            WebSocketClient client = server.vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(SESSIONS));
            ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
            CountDownLatch allStreaming = new CountDownLatch(SESSIONS), allDone = new CountDownLatch(SESSIONS);
            AtomicInteger tokens = new AtomicInteger();
            List<WebSocket> sockets = new ArrayList<>();
            for (int i = 0; i < SESSIONS; i++) {
                int n = i;
                // the handler is set before connecting: set in the connect future's callback, a hello frame could
                // arrive ahead of it and the session would never start (as WsClient found)
                ClientWebSocket socket = client.webSocket();
                socket.textMessageHandler(text -> {
                            JsonObject f = new JsonObject(text);
                            switch (f.getString("type")) {
                                case "hello" -> socket.writeTextMessage(new JsonObject().put("type", "chat").put("id", "r" + n)
                                        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Story number " + n)))
                                        .put("params", new JsonObject().put("max_tokens", TOKENS).put("ignore_eos", true).put("seed", n)).encode());
                                case "started" -> allStreaming.countDown();
                                case "delta" -> { }
                                case "done" -> {
                                    int got = f.getJsonObject("usage").getInteger("completion_tokens");
                                    if (!"length".equals(f.getString("finish_reason")) || got != TOKENS) problems.add(f.encode());
                                    tokens.addAndGet(got);
                                    allDone.countDown();
                                }
                                default -> { problems.add(f.encode()); allDone.countDown(); }
                            }
                        });
                WebSocket ws = socket.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port).setURI("/v1/chat/ws"))
                        .await();
                sockets.add(ws);
            }
            assertTrue(allStreaming.await(60, TimeUnit.SECONDS), "every session was admitted");
            // mid-run (requests still generating or just done): what 64 live sessions retain
            long heapDuring = usedHeapAfterGc();
            assertTrue(allDone.await(120, TimeUnit.SECONDS), allDone.getCount() + " sessions did not finish; problems: " + problems);
            assertTrue(problems.isEmpty(), "errors: " + problems);
            assertEquals(SESSIONS * TOKENS, tokens.get());
            assertEquals(SESSIONS, server.server.sessions().size());
            long growthMiB = (heapDuring - heapBefore) >> 20;
            assertTrue(growthMiB < 64, "64 sessions retained " + growthMiB + " MiB of heap");
            for (WebSocket ws : sockets) ws.close().await();
            client.close().await();
        }
    }

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }
}
