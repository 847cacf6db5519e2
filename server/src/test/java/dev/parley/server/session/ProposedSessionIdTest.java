package dev.parley.server.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.testing.Shared;
import dev.parley.server.chat.ChatException;
import dev.parley.server.chat.ErrorCode;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.ChatMessage;
import dev.parley.server.testing.EngineHold;
import dev.parley.server.testing.RedisServer;
import dev.parley.server.testing.TestServer;
import dev.parley.server.testing.WsClient;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Client-proposed session ids (issue 7: an ingress hashing on the session id can place a conversation from its first
 * connection only if the client chose the id). Real sockets and the real stories260K model: one server with the
 * in-memory store, and two sharing a real Redis.
 */
class ProposedSessionIdTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String RULE = "22 to 128 characters of A-Z a-z 0-9 _ -";
    static RedisServer redis;
    static TestServer single, a, b;

    @BeforeAll static void start() throws Exception {
        Shared.stories260K(); // skip before starting Redis when the model is absent
        single = TestServer.start(ServerConfig.forTests());
        redis = RedisServer.start();
        a = TestServer.start(ServerConfig.forTests().toBuilder().sessionStore(redis.uri()).build());
        b = TestServer.start(ServerConfig.forTests().toBuilder().sessionStore(redis.uri()).build());
    }

    @AfterAll static void stop() throws Exception {
        for (TestServer s : new TestServer[] {single, a, b}) if (s != null) s.close();
        if (redis != null) redis.close();
    }

    /** What a client should do: 16 random bytes, base64url without padding (22 characters, 128 bits). */
    static String proposedId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Test void aProposedIdStartsTheSessionAndLaterTurnsContinueIt() throws Exception {
        String id = proposedId();
        WsClient.Result first = turn(single, chat("1", id, true, "The cat sat on the mat"));
        assertEquals(id, first.started.getString("session"), "started echoes the proposed id");
        WsClient.Result second = turn(single, chat("2", id, false, "What did the cat see?"));
        assertEquals(id, second.started.getString("session"));
        assertTrue(second.started.getInteger("prompt_tokens") > first.started.getInteger("prompt_tokens") + first.done
                .getJsonObject("usage").getInteger("completion_tokens") / 2, "turn two's prompt carries turn one: " + second.started);
        List<ChatMessage> history = single.server.sessions().get(id).await().history();
        assertEquals(List.of(new ChatMessage("user", "The cat sat on the mat"), new ChatMessage("assistant", first.text.toString()),
                new ChatMessage("user", "What did the cat see?"), new ChatMessage("assistant", second.text.toString())), history);

        // a first turn retried (its done was lost) with the flag again continues the session rather than failing
        WsClient.Result retried = turn(single, chat("3", id, true, "And then?"));
        assertEquals(id, retried.started.getString("session"));
        assertEquals(6, single.server.sessions().get(id).await().history().size());
    }

    @Test void anUnknownIdWithoutTheFlagIsStillNotFound() throws Exception {
        // so a client resuming an expired session learns it, instead of silently talking into an empty one
        String id = proposedId();
        try (WsClient c = connect(single)) {
            c.send(chat("r", id, false, "Hello"));
            WsClient.Result r = c.awaitEnd("r");
            assertNotNull(r.error, "ran: " + r.text);
            assertEquals("not_found", r.error.getString("code"), r.error.encode());
        }
        assertEquals("not_found", single.server.sessions().get(id).transform(ar -> Future.succeededFuture(
                ar.failed() ? ((ChatException) ar.cause()).code.wire : "exists")).await());
    }

    @Test void idsNoSessionCanHaveAreNotFoundWithoutAskingTheStore() throws Exception {
        // neither a server-assigned id nor a valid proposal: never a Redis key, whatever the client sends
        List<String> impossible = List.of("x", "parley:lease:" + "a".repeat(30), "../../etc/passwd", "a".repeat(5000), "s-NOTHEX");
        long before = redis.commandsExecuted();
        try (WsClient c = connect(a)) {
            for (int i = 0; i < impossible.size(); i++) {
                c.send(chat("n" + i, impossible.get(i), false, "Hello"));
                WsClient.Result r = c.awaitEnd("n" + i);
                assertNotNull(r.error, "ran with '" + impossible.get(i) + "'");
                assertEquals("not_found", r.error.getString("code"), r.error.encode());
                assertTrue(r.error.getString("message").length() < 300, "a long id is not echoed whole: " + r.error.encode());
            }
        }
        assertEquals(before, redis.commandsExecuted(), "no command reached Redis for those ids");
        // a well-formed id that does not exist still asks the store, and is not found there
        try (WsClient c = connect(a)) {
            c.send(chat("w", proposedId(), false, "Hello"));
            assertEquals("not_found", c.awaitEnd("w").error.getString("code"));
        }
        assertTrue(redis.commandsExecuted() > before, "a possible id is looked up");
    }

    @Test void proposalsBreakingTheRuleAreRefusedNamingIt() throws Exception {
        String at21 = "a".repeat(21), at129 = "a".repeat(129);
        List<String> bad = List.of(at21, at129, "short", "", "abcdefghijklmnopqrstuv.w", "abcdefghijklmnopqrstuv/w",
                "parley:lease:abcdefghijklmnop", "abcdefghijklmnopqrstuv w", "abcdefghijklmnopqrstuvé", "abcdefghij%2Fklmnopqrstuv");
        int before = single.server.sessions().size();
        try (WsClient c = connect(single)) {
            for (int i = 0; i < bad.size(); i++) {
                c.send(chat("b" + i, bad.get(i), true, "Hello"));
                WsClient.Result r = c.awaitEnd("b" + i);
                assertNotNull(r.error, "accepted '" + bad.get(i) + "'");
                assertEquals("bad_request", r.error.getString("code"), r.error.encode());
                assertTrue(r.error.getString("message").contains(RULE), r.error.encode());
                assertTrue(r.error.getString("message").contains("got " + bad.get(i).length() + " characters"), r.error.encode());
            }
            c.send(new JsonObject().put("type", "chat").put("id", "n").put("create_session", true)
                    .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Hi"))));
            JsonObject missing = c.awaitEnd("n").error;
            assertEquals("bad_request", missing.getString("code"));
            assertTrue(missing.getString("message").contains("create_session needs 'session'"), missing.encode());
            c.send(new JsonObject().put("type", "regenerate").put("id", "g").put("session", proposedId()).put("create_session", true));
            JsonObject regenerate = c.awaitEnd("g").error;
            assertEquals("bad_request", regenerate.getString("code"));
            assertTrue(regenerate.getString("message").contains("create_session is only for chat"), regenerate.encode());
        }
        assertEquals(before, single.server.sessions().size(), "a refused proposal creates nothing");

        // the bounds themselves are accepted, with every character class
        String shortest = "A".repeat(11) + "-_" + "z9".repeat(4) + "Q", longest = "x".repeat(128);
        assertEquals(List.of(22, 128), List.of(shortest.length(), longest.length()));
        for (String edge : List.of(shortest, longest))
            assertEquals(edge, turn(single, chat("e", edge, true, "Hello")).started.getString("session"));
    }

    @Test void aProposedIdCreatedOnOneReplicaContinuesOnTheOther() throws Exception {
        String id = proposedId();
        WsClient.Result onA = turn(a, chat("1", id, true, "A dog ran to the park"));
        assertEquals(id, onA.started.getString("session"));
        WsClient.Result onB = turn(b, chat("2", id, false, "Who did the dog meet?"));
        assertEquals(id, onB.started.getString("session"));
        List<ChatMessage> history = b.server.sessions().get(id).await().history();
        assertEquals(4, history.size(), history.toString());
        assertEquals(new ChatMessage("assistant", onA.text.toString()), history.get(1), "B continued A's turn, read from Redis");
    }

    @Test void twoReplicasCreatingTheSameIdAtOnceMakeOneConversation() throws Exception {
        String id = proposedId();
        // both engines held: whichever request wins the id cannot finish while the other one tries
        var holdA = EngineHold.start(a);
        var holdB = EngineHold.start(b);
        try (WsClient onA = connect(a); WsClient onB = connect(b)) {
            onA.send(chat("x", id, true, "From replica A"));
            onB.send(chat("x", id, true, "From replica B"));
            CompletableFuture<WsClient.Result> endA = endOf(onA), endB = endOf(onB);
            try {
                CompletableFuture.anyOf(endA, endB).get(20, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("neither request was refused: both took the session (or neither could)");
            }
            boolean aLost = endA.isDone();
            WsClient.Result loser = (aLost ? endA : endB).get();
            assertNotNull(loser.error, "the first to end must be the refused one: " + loser.text);
            assertEquals("bad_request", loser.error.getString("code"), loser.error.encode());
            assertTrue(loser.error.getString("message").contains("busy"), loser.error.encode());
            assertTrue(loser.error.getLong("retry_after_ms") > 0, loser.error.encode());
            assertFalse((aLost ? endB : endA).isDone(), "the winner is still held in its engine");
            holdA.release();
            holdB.release();
            WsClient.Result winner = (aLost ? endB : endA).get(20, TimeUnit.SECONDS);
            assertNotNull(winner.done, "the winner runs: " + winner.error);
            assertEquals(id, winner.started.getString("session"));
            String winnerSaid = aLost ? "From replica B" : "From replica A";
            List<ChatMessage> history = a.server.sessions().get(id).await().history();
            assertEquals(List.of(new ChatMessage("user", winnerSaid), new ChatMessage("assistant", winner.text.toString())), history,
                    "one conversation, the winner's turn alone");
        } finally {
            holdA.release();
            holdB.release();
        }
    }

    @Test void creationIsAtomicAcrossReplicasInTheStoreItself() throws Exception {
        // many races, without sockets or the engine in between: each time exactly one reservation wins
        SessionStore sa = a.server.sessions(), sb = b.server.sessions();
        int rounds = 50, aWon = 0;
        for (int i = 0; i < rounds; i++) {
            String id = proposedId();
            Future<Session> fa = sa.reserveOrCreate(id, "ra"), fb = sb.reserveOrCreate(id, "rb");
            Future.join(fa, fb).otherwiseEmpty().await(5, TimeUnit.SECONDS);
            assertTrue(fa.succeeded() ^ fb.succeeded(), "round " + i + ": exactly one wins (a " + fa.cause() + ", b " + fb.cause() + ")");
            Future<Session> lost = fa.succeeded() ? fb : fa;
            assertEquals(ErrorCode.BAD_REQUEST, ((ChatException) lost.cause()).code, String.valueOf(lost.cause()));
            if (fa.succeeded()) aWon++;
            (fa.succeeded() ? sa : sb).release((fa.succeeded() ? fa : fb).result(), fa.succeeded() ? "ra" : "rb", true).await();
        }
        System.out.printf("proposed ids: %d concurrent creations across two replicas, replica A won %d%n", rounds, aWon);
        // in memory, two sockets of one server race through the same object
        Session s1 = single.server.sessions().reserveOrCreate("m".repeat(30), "r1").await();
        Future<Session> s2 = single.server.sessions().reserveOrCreate("m".repeat(30), "r2");
        assertTrue(s2.failed(), "the second is refused while the first holds it");
        assertTrue(s2.cause().getMessage().contains("busy with request 'r1'"), s2.cause().getMessage());
        single.server.sessions().release(s1, "r1", false).await();
    }

    /** On a thread of its own: the common pool may have a single thread, which the winner's wait would occupy. */
    private static CompletableFuture<WsClient.Result> endOf(WsClient c) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return c.awaitEnd("x");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, r -> Thread.ofPlatform().daemon().start(r));
    }

    private static WsClient connect(TestServer s) throws InterruptedException {
        WsClient c = WsClient.connect(s.vertx, s.port, "/v1/chat/ws");
        assertEquals("hello", c.next().getString("type"));
        return c;
    }

    static JsonObject chat(String id, String session, boolean create, String user) {
        JsonObject f = new JsonObject().put("type", "chat").put("id", id).put("session", session)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", user)))
                .put("params", new JsonObject().put("temperature", 0).put("max_tokens", 8));
        if (create) f.put("create_session", true);
        return f;
    }

    private static WsClient.Result turn(TestServer s, JsonObject chat) throws InterruptedException {
        try (WsClient c = connect(s)) {
            c.send(chat);
            WsClient.Result r = c.awaitEnd(chat.getString("id"));
            assertNull(r.error, () -> "error: " + r.error);
            assertNotNull(r.done);
            return r;
        }
    }
}
