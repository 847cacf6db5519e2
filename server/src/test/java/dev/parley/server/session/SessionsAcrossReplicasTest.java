package dev.parley.server.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.testing.Shared;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.ChatMessage;
import dev.parley.server.testing.RedisServer;
import dev.parley.server.testing.TestServer;
import dev.parley.server.testing.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sessions that survive a replica (issue 7): two Parley servers on loopback, each with the real stories260K model,
 * share one real Redis; a third server with the in-memory store is the single-server reference.
 */
class SessionsAcrossReplicasTest {
    static RedisServer redis;
    static TestServer a, b, single;

    @BeforeAll static void start() throws Exception {
        Shared.stories260K(); // skip before starting Redis when the model is absent
        redis = RedisServer.start();
        a = TestServer.start(ServerConfig.forTests().toBuilder().sessionStore(redis.uri()).build());
        b = TestServer.start(ServerConfig.forTests().toBuilder().sessionStore(redis.uri()).build());
        single = TestServer.start(ServerConfig.forTests());
    }

    @AfterAll static void stop() throws Exception {
        for (TestServer s : new TestServer[] {a, b, single}) if (s != null) s.close();
        if (redis != null) redis.close();
    }

    private static WsClient connect(TestServer s) throws InterruptedException {
        WsClient c = WsClient.connect(s.vertx, s.port, "/v1/chat/ws");
        assertEquals("hello", c.next().getString("type"));
        return c;
    }

    private static JsonObject chat(String id, String session, String user, int maxTokens) {
        JsonObject f = new JsonObject().put("type", "chat").put("id", id)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", user)))
                .put("params", new JsonObject().put("temperature", 0).put("max_tokens", maxTokens));
        if (session != null) f.put("session", session);
        return f;
    }

    /** One request on its own socket, to the end; fails on an error frame. */
    private static WsClient.Result turn(TestServer s, String session, String user, int maxTokens) throws InterruptedException {
        try (WsClient c = connect(s)) {
            c.send(chat("t", session, user, maxTokens));
            WsClient.Result r = c.awaitEnd("t");
            assertNull(r.error, () -> "error: " + r.error);
            return r;
        }
    }

    @Test void aConversationStartedOnOneReplicaContinuesOnAnotherWithTheSameHistory() throws Exception {
        // a first line no other test uses, so neither engine has this conversation cached from elsewhere
        String opening = "Lily found a red ball in the garden";
        WsClient.Result firstOnA = turn(a, null, opening, 24);
        String session = firstOnA.started.getString("session");
        WsClient.Result secondOnB = turn(b, session, "What did the cat do next?", 24);
        assertEquals(session, secondOnB.started.getString("session"));
        int turnOneTokens = firstOnA.started.getInteger("prompt_tokens");
        int cachedOnB = secondOnB.started.getInteger("cached_tokens");
        assertTrue(cachedOnB < turnOneTokens, "B never saw turn one: it re-prefills it (cached " + cachedOnB + " of " + turnOneTokens + ")");

        WsClient.Result firstAlone = turn(single, null, opening, 24);
        WsClient.Result secondAlone = turn(single, firstAlone.started.getString("session"), "What did the cat do next?", 24);
        assertEquals(firstAlone.text.toString(), firstOnA.text.toString());
        assertEquals(secondAlone.started.getInteger("prompt_tokens"), secondOnB.started.getInteger("prompt_tokens"),
                "B renders the same two-turn conversation as a single server");
        assertEquals(secondAlone.text.toString(), secondOnB.text.toString(), "greedy: B replies as a single server does");

        // both replicas read the same four messages from Redis
        List<ChatMessage> onA = a.server.sessions().get(session).await().history();
        assertEquals(4, onA.size());
        assertEquals(onA, b.server.sessions().get(session).await().history());
        assertEquals(secondOnB.text.toString(), onA.get(3).content());

        // back on A, whose engine still caches turn one: it continues from that prefix, with B's turn included
        WsClient.Result thirdOnA = turn(a, session, "And then?", 8);
        int cachedOnA = thirdOnA.started.getInteger("cached_tokens");
        assertTrue(cachedOnA >= turnOneTokens, "A reuses its cached turn one (cached " + cachedOnA + ", turn one " + turnOneTokens + ")");
        assertEquals(6, b.server.sessions().get(session).await().history().size());
    }

    @Test void stoppingAReplicaMidSessionLosesNothingAcknowledged() throws Exception {
        TestServer doomed = TestServer.start(ServerConfig.forTests().toBuilder().sessionStore(redis.uri()).drainTimeout(Duration.ZERO).build());
        String session;
        String acknowledged;
        try {
            WsClient.Result first = turn(doomed, null, "Once upon a time", 16);
            assertNotNull(first.done, "turn one was acknowledged");
            session = first.started.getString("session");
            acknowledged = first.text.toString();
            // turn two is still generating when the replica goes away: never acknowledged
            try (WsClient c = connect(doomed)) {
                c.send(new JsonObject().put("type", "chat").put("id", "long").put("session", session)
                        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Tell me more")))
                        .put("params", new JsonObject().put("temperature", 0).put("max_tokens", 1900).put("ignore_eos", true)));
                JsonObject started = c.next();
                assertEquals("started", started.getString("type"), started.encode());
                doomed.close();
                doomed = null;
            }
        } finally {
            if (doomed != null) doomed.close();
        }
        List<ChatMessage> history = b.server.sessions().get(session).await().history();
        assertTrue(history.size() >= 2, "history " + history);
        assertEquals(new ChatMessage("user", "Once upon a time"), history.get(0));
        assertEquals(new ChatMessage("assistant", acknowledged), history.get(1));
        WsClient.Result onB = turn(b, session, "And then?", 8);
        assertNotNull(onB.done, "B continues the session");
    }

    @Test void scriptsRunByTheirSha1AndAreLoadedAgainAfterAScriptFlush() throws Exception {
        long evalBefore = redis.calls("eval"), evalshaBefore = redis.calls("evalsha");
        String session = turn(a, null, "The cat sat", 4).started.getString("session");
        turn(b, session, "and the dog ran", 4);
        assertEquals(evalBefore, redis.calls("eval"), "no call sends a script whole");
        assertTrue(redis.calls("evalsha") >= evalshaBefore + 4, "create, release, reserve, release: by SHA-1");
        assertEquals("OK", redis.command("SCRIPT", "FLUSH")); // as after a Redis restart
        turn(a, session, "and the bird sang", 4); // NOSCRIPT: the script is loaded and run again
        assertEquals(6, b.server.sessions().get(session).await().history().size());
        assertEquals(evalBefore, redis.calls("eval"));
    }

    /**
     * A command cannot be taken back once sent: when the store stalls past the timeout, the request fails as
     * unavailable, but its RESERVE still runs once the store wakes up. The lease it takes must be given back at once
     * (not block the session for the lease TTL, 10 s here).
     */
    @Test void aReserveThatRunsAfterItsTimeoutGivesItsLeaseBack() throws Exception {
        RedisServer stalling = RedisServer.start();
        try (TestServer s = TestServer.start(ServerConfig.forTests().toBuilder().sessionStore(stalling.uri()).build())) {
            String session = turn(s, null, "Once upon a time", 4).started.getString("session");
            long pauseMs = RedisSessionStore.TIMEOUT_MS + 1000;
            assertEquals("OK", stalling.command("CLIENT", "PAUSE", Long.toString(pauseMs), "ALL"));
            long pausedAt = System.nanoTime();
            try (WsClient c = connect(s)) {
                c.send(chat("r", session, "And then?", 4));
                WsClient.Result r = c.awaitEnd("r");
                assertNotNull(r.error, "expected an error frame");
                assertEquals("unavailable", r.error.getString("code"), r.error.encode());
            }
            // Commands that different clients queued during the pause run in no set order when it ends, so a GET sent
            // now could run before the late RESERVE and see no lease yet: look only once the pause is well over, then
            // wait for the RESERVE's reply to release the lease (well within the lease TTL it would otherwise hold).
            String lease = "parley:lease:" + session;
            long resumed = pausedAt + TimeUnit.MILLISECONDS.toNanos(pauseMs + 500);
            while (System.nanoTime() < resumed) Thread.sleep(20);
            long deadline = pausedAt + TimeUnit.MILLISECONDS.toNanos(pauseMs + 2000);
            while (stalling.get(lease) != null && System.nanoTime() < deadline) Thread.sleep(20);
            assertNull(stalling.get(lease), "the late RESERVE's lease is still held " + Duration.ofNanos(System.nanoTime() - pausedAt));
            WsClient.Result next = turn(s, session, "And then?", 4); // not busy: the session goes on
            assertEquals(session, next.started.getString("session"));
        } finally {
            stalling.close();
        }
    }

    @Test void anUnreachableStoreIsAnUnavailableErrorNotAHang() throws Exception {
        RedisServer flaky = RedisServer.start();
        try (TestServer s = TestServer.start(ServerConfig.forTests().toBuilder().sessionStore(flaky.uri()).build())) {
            String session = turn(s, null, "Once upon a time", 4).started.getString("session");
            flaky.kill();
            try (WsClient c = connect(s)) {
                long t0 = System.nanoTime();
                c.send(chat("r", session, "And then?", 4));
                WsClient.Result r = c.awaitEnd("r");
                assertNotNull(r.error, "expected an error frame");
                assertEquals("unavailable", r.error.getString("code"), r.error.encode());
                assertTrue(r.error.getString("message").contains("session store"), r.error.encode());
                assertTrue(r.error.getLong("retry_after_ms") > 0, r.error.encode());
                assertTrue(System.nanoTime() - t0 < (RedisSessionStore.TIMEOUT_MS + 2000) * 1_000_000L, "answered within the store timeout");
                c.send(chat("n", null, "Hi", 4)); // a new session needs the store too
                assertEquals("unavailable", c.awaitEnd("n").error.getString("code"));
            }
        } finally {
            flaky.close();
        }
    }
}
