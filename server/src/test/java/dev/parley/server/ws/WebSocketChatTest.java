package dev.parley.server.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.testing.Shared;
import dev.parley.server.cli.ServerMain;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import dev.parley.server.testing.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The WebSocket chat protocol end to end: real sockets, real model (stories260K, ChatML default template). */
class WebSocketChatTest {
    static TestServer server;

    @BeforeAll static void start() {
        server = TestServer.start(ServerConfig.forTests());
    }

    @AfterAll static void stop() {
        if (server != null) server.close();
    }

    private WsClient connect() throws InterruptedException {
        WsClient c = WsClient.connect(server.vertx, server.port, "/v1/chat/ws");
        assertEquals("hello", c.next().getString("type"));
        return c;
    }

    private static JsonObject chat(String id, String session, String user, JsonObject params) {
        JsonObject f = new JsonObject().put("type", "chat").put("id", id)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", user)));
        if (session != null) f.put("session", session);
        if (params != null) f.put("params", params);
        return f;
    }

    private static JsonObject greedy(int maxTokens) {
        return new JsonObject().put("temperature", 0).put("max_tokens", maxTokens);
    }

    /** Enough work that a cancel or disconnect lands mid-stream: no EOS stop, up to the context. */
    private static JsonObject long_() {
        return new JsonObject().put("temperature", 0).put("max_tokens", 1900).put("ignore_eos", true);
    }

    @Test void helloFrameNamesModelContextAndServer() throws Exception {
        try (WsClient c = WsClient.connect(server.vertx, server.port, "/v1/chat/ws")) {
            JsonObject hello = c.next();
            assertEquals("hello", hello.getString("type"));
            assertEquals("stories260K", hello.getString("model"));
            assertEquals(server.model.contextLength(), hello.getInteger("context_length"));
            assertTrue(hello.getString("server").startsWith("parley "), hello.encode());
        }
    }

    @Test void greedyChatStreamsDeltasThatMatchDoneAndTheGenerateCommand() throws Exception {
        WsClient.Result r;
        try (WsClient c = connect()) {
            c.send(chat("r1", null, "Once upon a time", greedy(40)));
            r = c.awaitEnd("r1");
        }
        assertNull(r.error, () -> "error: " + r.error);
        assertNotNull(r.started);
        assertTrue(r.started.getString("session").startsWith("s-"));
        assertTrue(r.started.getInteger("prompt_tokens") > 0);
        assertEquals(0, r.started.getInteger("cached_tokens"));
        assertTrue(r.deltas > 1, "several deltas expected, got " + r.deltas);
        assertEquals("length", r.done.getString("finish_reason"));
        JsonObject usage = r.done.getJsonObject("usage");
        assertEquals(40, usage.getInteger("completion_tokens"));
        assertEquals(r.started.getInteger("prompt_tokens"), usage.getInteger("prompt_tokens"));
        assertNotNull(r.done.getJsonObject("timings").getDouble("ttft_ms"));

        // what `parley generate --chat` produces for the same prompt with greedy sampling
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int rc;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            rc = ServerMain.commandLine().execute("generate", "--model", Shared.stories260K().toString(), "--chat",
                    "--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "40", "--json");
        } finally {
            System.setOut(saved);
        }
        assertEquals(0, rc);
        JsonObject generated = new JsonObject(out.toString(StandardCharsets.UTF_8).strip());
        assertEquals(generated.getString("text"), r.text.toString());
    }

    @Test void cancelStopsGenerationAndFreesTheEngine() throws Exception {
        try (WsClient c = connect()) {
            c.send(chat("long", null, "Tell me a story", long_()));
            JsonObject started = c.next();
            assertEquals("started", started.getString("type"), started.encode());
            assertEquals("delta", c.next().getString("type"));
            c.send(new JsonObject().put("type", "cancel").put("id", "long"));
            WsClient.Result r = c.awaitEnd("long");
            assertEquals("cancelled", r.done.getString("finish_reason"));
            assertTrue(r.done.getJsonObject("usage").getInteger("completion_tokens") < 1900);
            server.awaitEngineIdle(Duration.ofSeconds(2));
            assertEquals(0, server.model.engine().runningCount());
            // the socket stays usable
            c.send(new JsonObject().put("type", "ping"));
            assertEquals("pong", c.next().getString("type"));
            // cancelling something unknown is an error frame, not a closed socket
            c.send(new JsonObject().put("type", "cancel").put("id", "nope"));
            JsonObject err = c.next();
            assertEquals("not_found", err.getString("code"));
        }
    }

    @Test void disconnectCancelsInFlightGeneration() throws Exception {
        WsClient c = connect();
        c.send(chat("gone", null, "Tell me a story", long_()));
        assertEquals("started", c.next().getString("type"));
        assertEquals("delta", c.next().getString("type"));
        long before = generated();
        c.close();
        server.awaitEngineIdle(Duration.ofSeconds(2));
        long after = generated();
        assertTrue(after - before < 1900, "generation ran on after the client left: " + (after - before) + " tokens");
        assertTrue(server.server.metrics().scrape().contains("parley_request_success_total{finished_reason=\"cancelled\"}"));
    }

    private static long generated() {
        for (String line : server.server.metrics().scrape().split("\n"))
            if (line.startsWith("parley_generation_tokens_total ")) return (long) Double.parseDouble(line.split(" ")[1]);
        throw new AssertionError("no token counter");
    }

    @Test void secondTurnOfASessionCarriesTheHistory() throws Exception {
        try (WsClient c = connect()) {
            c.send(chat("t1", null, "Hi", greedy(8)));
            WsClient.Result first = c.awaitEnd("t1");
            String session = first.started.getString("session");
            int firstPrompt = first.started.getInteger("prompt_tokens");
            c.send(chat("t2", session, "And then?", greedy(8)));
            WsClient.Result second = c.awaitEnd("t2");
            assertNull(second.error, () -> "error: " + second.error);
            assertEquals(session, second.started.getString("session"));
            // the second prompt holds turn one (user + assistant reply) plus the new user turn
            assertTrue(second.started.getInteger("prompt_tokens") > firstPrompt + first.done.getJsonObject("usage").getInteger("completion_tokens"),
                    "prompt tokens " + second.started.getInteger("prompt_tokens") + " vs first " + firstPrompt);
            var history = server.server.sessions().get(session).await().history();
            assertEquals(4, history.size());
            assertEquals(first.text.toString(), history.get(1).content());
            assertEquals(second.text.toString(), history.get(3).content());
        }
    }

    @Test void regenerateAndEditRewriteTheSessionHistory() throws Exception {
        try (WsClient c = connect()) {
            c.send(chat("a", null, "Hi", greedy(8)));
            WsClient.Result first = c.awaitEnd("a");
            String session = first.started.getString("session");
            c.send(new JsonObject().put("type", "regenerate").put("id", "b").put("session", session));
            WsClient.Result regen = c.awaitEnd("b");
            assertNull(regen.error, () -> "error: " + regen.error);
            assertEquals(first.started.getInteger("prompt_tokens"), regen.started.getInteger("prompt_tokens"));
            assertEquals(first.text.toString(), regen.text.toString(), "greedy: same reply again");
            assertEquals(2, server.server.sessions().get(session).await().history().size());

            c.send(new JsonObject().put("type", "edit").put("id", "c").put("session", session).put("index", 0).put("content", "Once upon a time there was a cat"));
            WsClient.Result edited = c.awaitEnd("c");
            assertNull(edited.error, () -> "error: " + edited.error);
            var history = server.server.sessions().get(session).await().history();
            assertEquals(2, history.size());
            assertEquals("Once upon a time there was a cat", history.get(0).content());
            assertTrue(edited.started.getInteger("prompt_tokens") > first.started.getInteger("prompt_tokens"));

            c.send(new JsonObject().put("type", "edit").put("id", "d").put("session", session).put("index", 7).put("content", "x"));
            assertEquals("bad_request", c.awaitEnd("d").error.getString("code"));
            c.send(new JsonObject().put("type", "regenerate").put("id", "e").put("session", "s-missing"));
            assertEquals("not_found", c.awaitEnd("e").error.getString("code"));
        }
    }

    @Test void logprobsCoverEveryToken() throws Exception {
        try (WsClient c = connect()) {
            c.send(chat("lp", null, "Hi", greedy(6).put("logprobs", 3)));
            int tokens = 0;
            JsonObject f;
            while (!(f = c.next()).getString("type").equals("done")) {
                if (!f.getString("type").equals("delta")) continue;
                JsonArray ts = f.getJsonArray("tokens");
                assertNotNull(ts, f.encode());
                for (int i = 0; i < ts.size(); i++) {
                    JsonObject t = ts.getJsonObject(i);
                    assertTrue(t.getDouble("logprob") <= 0);
                    assertEquals(3, t.getJsonArray("top").size());
                    // greedy: the chosen token is the most likely one
                    assertEquals(t.getString("text"), t.getJsonArray("top").getJsonObject(0).getString("text"));
                }
                tokens += ts.size();
            }
            assertEquals(6, tokens);
        }
    }

    @Test void badFramesGetErrorFramesWhileAnotherSessionCompletes() throws Exception {
        try (WsClient good = connect(); WsClient bad = connect()) {
            good.send(chat("g", null, "Once upon a time", greedy(60)));
            bad.sendRaw("{not json");
            assertError(bad, null, "bad_request", "invalid JSON");
            bad.sendRaw("[1,2]");
            assertError(bad, null, "bad_request", null);
            bad.send(new JsonObject().put("id", "x"));
            assertError(bad, "x", "bad_request", "type");
            bad.send(new JsonObject().put("type", "dance").put("id", "x"));
            assertError(bad, "x", "bad_request", "unknown type");
            bad.send(new JsonObject().put("type", "chat").put("id", "x"));
            assertError(bad, "x", "bad_request", "messages");
            bad.send(new JsonObject().put("type", "chat").put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi"))));
            assertError(bad, null, "bad_request", "id");
            bad.send(chat("x", null, "hi", null).put("messages", new JsonArray().add(new JsonObject().put("role", "wizard").put("content", "hi"))));
            assertError(bad, "x", "bad_request", "role");
            bad.send(chat("x", null, "hi", new JsonObject().put("top_p", 1.5)));
            assertError(bad, "x", "bad_request", "top_p");
            bad.send(chat("x", null, "hi", new JsonObject().put("temperature", "hot")));
            assertError(bad, null, "bad_request", "invalid JSON");
            bad.send(chat("x", "s-unknown", "hi", null));
            assertError(bad, "x", "not_found", "session");
            bad.send(chat("x", null, "word ".repeat(3000), null));
            assertError(bad, "x", "context_overflow", "context");
            bad.sendBinary(new byte[] {1, 2, 3});
            assertError(bad, null, "bad_request", "binary");
            bad.sendRaw("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(2 << 20) + "\"}");
            assertError(bad, null, "bad_request", "exceeds");
            bad.send(new JsonObject().put("type", "ping"));
            assertEquals("pong", bad.next().getString("type"));
            assertFalse(bad.isClosed());

            WsClient.Result r = good.awaitEnd("g");
            assertNull(r.error);
            assertEquals("length", r.done.getString("finish_reason"));
            assertEquals(r.done.getJsonObject("usage").getInteger("completion_tokens"), 60);
        }
    }

    private static void assertError(WsClient c, String id, String code, String messagePart) throws InterruptedException {
        JsonObject f = c.next();
        assertEquals("error", f.getString("type"), f.encode());
        assertEquals(code, f.getString("code"), f.encode());
        assertEquals(id, f.getString("id"), f.encode());
        if (messagePart != null) assertTrue(f.getString("message").contains(messagePart), f.encode());
    }

    @Test void severalRequestsRunConcurrentlyOnOneSocket() throws Exception {
        try (WsClient c = connect()) {
            c.send(chat("p", null, "Once", greedy(20)));
            c.send(chat("q", null, "Once", greedy(20)));
            String[] texts = new String[2];
            StringBuilder p = new StringBuilder(), q = new StringBuilder();
            int done = 0;
            while (done < 2) {
                JsonObject f = c.next();
                StringBuilder target = "p".equals(f.getString("id")) ? p : q;
                switch (f.getString("type")) {
                    case "delta" -> target.append(f.getString("text"));
                    case "done" -> done++;
                    case "started" -> { }
                    default -> throw new AssertionError(f.encode());
                }
            }
            texts[0] = p.toString();
            texts[1] = q.toString();
            assertEquals(texts[0], texts[1], "same greedy prompt, same text, however the streams interleave");
        }
    }
}
