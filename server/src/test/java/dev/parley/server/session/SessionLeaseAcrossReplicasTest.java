package dev.parley.server.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.testing.Shared;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.ChatMessage;
import dev.parley.server.testing.EngineHold;
import dev.parley.server.testing.RedisServer;
import dev.parley.server.testing.TestServer;
import dev.parley.server.testing.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One request at a time per session across replicas (issue 7): two Parley servers with the real stories260K model
 * share a real Redis; a session busy on one is busy on the other, with the error a single server gives, and the lease
 * of a replica that died lapses after its TTL (short here, so the test is quick).
 */
class SessionLeaseAcrossReplicasTest {
    private static final Duration LEASE = Duration.ofMillis(1500);
    static RedisServer redis;
    static TestServer a, b;

    @BeforeAll static void start() throws Exception {
        Shared.stories260K(); // skip before starting Redis when the model is absent
        redis = RedisServer.start();
        a = TestServer.start(config());
        b = TestServer.start(config());
    }

    @AfterAll static void stop() throws Exception {
        for (TestServer s : new TestServer[] {a, b}) if (s != null) s.close();
        if (redis != null) redis.close();
    }

    private static ServerConfig config() {
        return ServerConfig.forTests().toBuilder().sessionStore(redis.uri()).sessionLeaseTtl(LEASE).build();
    }

    @Test void aSessionBusyOnOneReplicaIsBusyOnEveryReplicaUntilItsTurnEnds() throws Exception {
        String session = turn(a, null, "Tom had a little boat").started.getString("session");
        try (WsClient onA = connect(a)) {
            var hold = EngineHold.start(a); // A's turn is taken but cannot finish while we look
            try {
                onA.send(chat("long", session, "Where did the boat go?"));
                awaitLeases(a, 1);
                WsClient.Result sameReplica = attempt(a, session);
                WsClient.Result otherReplica = attempt(b, session);
                assertEquals("bad_request", sameReplica.error.getString("code"), sameReplica.error.encode());
                assertEquals(sameReplica.error.getString("code"), otherReplica.error.getString("code"),
                        "busy elsewhere is the error a single server gives: " + otherReplica.error.encode());
                assertTrue(otherReplica.error.getString("message").contains("busy"), otherReplica.error.encode());
                long retry = otherReplica.error.getLong("retry_after_ms");
                assertTrue(retry > 0 && retry <= LEASE.toMillis(), "retry after the lease's remaining time: " + retry);

                // the running turn renews its lease: well past the TTL the session is still busy everywhere
                Thread.sleep(LEASE.toMillis() * 2);
                WsClient.Result later = attempt(b, session);
                assertNotNull(later.error, "still busy after twice the lease TTL");
                assertEquals("bad_request", later.error.getString("code"), later.error.encode());
            } finally {
                hold.release();
            }
            WsClient.Result first = onA.awaitEnd("long");
            assertNotNull(first.done, "A's turn ends normally: " + first.error);
            assertEquals(0, leases(a), "released with the turn");
            // the done frame follows the release: another replica takes the session at once, with A's turn in it
            WsClient.Result onB = turn(b, session, "And then?");
            assertNotNull(onB.done);
            List<ChatMessage> history = b.server.sessions().get(session).await().history();
            assertEquals(6, history.size(), history.toString());
            assertEquals(first.text.toString(), history.get(3).content(), "B continued after A's reply, not over it");
            assertEquals(0, leases(b));
        }
    }

    @Test void theLeaseOfAReplicaThatDiedLapsesAfterItsTtl() throws Exception {
        TestServer doomed = TestServer.start(config());
        String session;
        EngineHold hold = null;
        long died;
        try {
            session = turn(doomed, null, "The sun was hot").started.getString("session");
            WsClient onDoomed = connect(doomed);
            hold = EngineHold.start(doomed);
            onDoomed.send(chat("long", session, "What did they do?"));
            awaitLeases(doomed, 1);
            assertNotNull(attempt(b, session).error, "busy while the doomed replica holds it");
            // the replica dies: its event loops, timers and Redis connections stop; nothing releases the lease
            doomed.vertx.close().await();
            died = System.nanoTime();
        } finally {
            if (hold != null) hold.release();
            doomed.model.close();
        }
        WsClient.Result stillBusy = attempt(b, session);
        assertNotNull(stillBusy.error, "the lease outlives its replica for a while");
        long retry = stillBusy.error.getLong("retry_after_ms");
        assertTrue(retry <= LEASE.toMillis(), "at most one TTL: " + retry);
        Thread.sleep(retry + 50);
        WsClient.Result after = turn(b, session, "And then?");
        long waitedMs = (System.nanoTime() - died) / 1_000_000;
        assertNotNull(after.done);
        assertTrue(waitedMs < LEASE.toMillis() + 2000, "proceeded within about one lease TTL of the crash: " + waitedMs + " ms");
        // the turn the dead replica never finished was never saved: B continued from the last acknowledged one
        List<ChatMessage> history = b.server.sessions().get(session).await().history();
        assertEquals(4, history.size(), history.toString());
        assertEquals(new ChatMessage("user", "And then?"), history.get(2));
    }

    private static WsClient connect(TestServer s) throws InterruptedException {
        WsClient c = WsClient.connect(s.vertx, s.port, "/v1/chat/ws");
        assertEquals("hello", c.next().getString("type"));
        return c;
    }

    private static JsonObject chat(String id, String session, String user) {
        JsonObject f = new JsonObject().put("type", "chat").put("id", id)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", user)))
                .put("params", new JsonObject().put("temperature", 0).put("max_tokens", 8));
        if (session != null) f.put("session", session);
        return f;
    }

    private static WsClient.Result turn(TestServer s, String session, String user) throws InterruptedException {
        try (WsClient c = connect(s)) {
            c.send(chat("t", session, user));
            WsClient.Result r = c.awaitEnd("t");
            assertNull(r.error, () -> "error: " + r.error);
            return r;
        }
    }

    /** A chat on a session expected to be busy: its error frame. */
    private static WsClient.Result attempt(TestServer s, String session) throws InterruptedException {
        try (WsClient c = connect(s)) {
            c.send(chat("second", session, "Me too"));
            WsClient.Result r = c.awaitEnd("second");
            assertNotNull(r.error, () -> "expected a busy error, the turn ran: " + r.text);
            return r;
        }
    }

    private static int leases(TestServer s) {
        return ((RedisSessionStore) s.server.sessions()).leasesHeld();
    }

    private static void awaitLeases(TestServer s, int n) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (leases(s) != n) {
            assertTrue(System.nanoTime() < deadline, "leases held: " + leases(s) + ", expected " + n);
            Thread.sleep(5);
        }
    }
}
