package dev.parley.server.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import dev.parley.server.testing.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code params.n} over a real WebSocket with the real model: the answers' deltas and done frames carry their
 * index, each answer is what a request for one answer with seed + index gives, and answer 0 becomes the session's
 * assistant turn.
 */
class SeveralAnswersWsTest {
    static TestServer server;

    @BeforeAll static void start() {
        server = TestServer.start(ServerConfig.forTests());
    }

    @AfterAll static void stop() {
        if (server != null) server.close();
    }

    private static WsClient connect() throws InterruptedException {
        WsClient c = WsClient.connect(server.vertx, server.port, "/v1/chat/ws");
        assertEquals("hello", c.next().getString("type"));
        return c;
    }

    private static JsonObject chat(String id, JsonObject params) {
        return new JsonObject().put("type", "chat").put("id", id).put("params", params)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Once upon a time")));
    }

    private static JsonObject sampled(long seed) {
        return new JsonObject().put("temperature", 1).put("seed", seed).put("max_tokens", 20).put("ignore_eos", true);
    }

    /** The frames of an n-answer request up to its n-th done frame: texts by index, the done frames, the started frame. */
    private record Answers(List<StringBuilder> texts, List<JsonObject> dones, JsonObject started) {}

    private static Answers awaitAnswers(WsClient c, String id, int n) throws InterruptedException {
        List<StringBuilder> texts = new ArrayList<>();
        List<JsonObject> dones = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            texts.add(new StringBuilder());
            dones.add(null);
        }
        JsonObject started = null;
        int ended = 0;
        while (ended < n) {
            JsonObject f = c.next();
            assertEquals(id, f.getString("id"), f.encode());
            switch (f.getString("type")) {
                case "started" -> {
                    assertNull(started, "one started frame per request");
                    started = f;
                }
                case "delta" -> texts.get(f.getInteger("index")).append(f.getString("text"));
                case "done" -> {
                    dones.set(f.getInteger("index"), f);
                    ended++;
                }
                default -> throw new AssertionError("unexpected frame " + f);
            }
        }
        return new Answers(texts, dones, started);
    }

    @Test void twoAnswersStreamWithTheirIndexAndEachEqualsASingleRequestWithItsSeed() throws Exception {
        try (WsClient c = connect()) {
            c.send(chat("two", sampled(21).put("n", 2)));
            Answers answers = awaitAnswers(c, "two", 2);
            assertNotEquals(answers.texts().get(0).toString(), answers.texts().get(1).toString(), "seeds 21 and 22 differ");
            for (int i = 0; i < 2; i++) {
                JsonObject done = answers.dones().get(i);
                assertEquals("length", done.getString("finish_reason"));
                assertEquals(20, done.getJsonObject("usage").getInteger("completion_tokens"));
                assertEquals(answers.started().getInteger("prompt_tokens"), done.getJsonObject("usage").getInteger("prompt_tokens"));
                c.send(chat("one" + i, sampled(21 + i)));
                WsClient.Result single = c.awaitEnd("one" + i);
                assertEquals(single.text.toString(), answers.texts().get(i).toString(), "answer " + i);
                assertNull(single.done.getValue("index"), "a request for one answer has no index on its frames");
            }
            // answer 0 is the session's assistant turn
            var history = server.server.sessions().get(answers.started().getString("session")).await().history();
            assertEquals(2, history.size());
            assertEquals(answers.texts().getFirst().toString(), history.get(1).content());
        }
    }

    @Test void cancellingEndsEveryAnswer() throws Exception {
        try (WsClient c = connect()) {
            c.send(chat("long", new JsonObject().put("temperature", 0).put("max_tokens", 1900).put("ignore_eos", true).put("n", 3)));
            // let all three stream a little, then cancel the request
            int deltas = 0;
            List<JsonObject> dones = new ArrayList<>();
            while (dones.size() < 3) {
                JsonObject f = c.next();
                if ("delta".equals(f.getString("type")) && ++deltas == 6) c.send(new JsonObject().put("type", "cancel").put("id", "long"));
                if ("done".equals(f.getString("type"))) dones.add(f);
            }
            for (JsonObject done : dones) assertEquals("cancelled", done.getString("finish_reason"), done.encode());
            assertEquals(3, dones.stream().map(d -> d.getInteger("index")).distinct().count());
            server.awaitEngineIdle(Duration.ofSeconds(20));
        }
    }

    @Test void nOutOfRangeIsABadRequest() throws Exception {
        try (WsClient c = connect()) {
            for (int n : new int[] {0, 9}) {
                c.send(chat("bad" + n, sampled(1).put("n", n)));
                WsClient.Result r = c.awaitEnd("bad" + n);
                assertEquals("bad_request", r.error.getString("code"));
                assertTrue(r.error.getString("message").contains("params.n must be in [1, 8]"), r.error.getString("message"));
            }
        }
    }
}
