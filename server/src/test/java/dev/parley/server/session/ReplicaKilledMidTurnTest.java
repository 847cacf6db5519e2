package dev.parley.server.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.testing.Shared;
import dev.parley.server.model.ChatMessage;
import dev.parley.server.testing.RawWebSocket;
import dev.parley.server.testing.RedisServer;
import dev.parley.server.testing.ServerProcess;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A replica that crashes (issue 7), not one that shuts down: two {@code parley serve} processes share a real Redis, and
 * the one running a turn gets SIGKILL in the middle of it. Nothing in that process runs after the signal, so its lease
 * is never released and must lapse by its TTL; the survivor then continues the conversation from the last turn whose
 * {@code done} was sent, without the turn that was cut.
 */
class ReplicaKilledMidTurnTest {
    /** Short, so the test is quick; the lease is renewed every third of it while the turn runs. */
    private static final long LEASE_TTL_MS = 1500;

    @Test void aSessionCutBySigkillContinuesOnTheSurvivorFromItsLastAcknowledgedTurn() throws Exception {
        String model = Shared.stories260K().toString();
        long testStart = System.nanoTime();
        try (RedisServer redis = RedisServer.start();
             ServerProcess doomed = serve(model, redis);
             ServerProcess survivor = serve(model, redis)) {
            doomed.awaitReady(Duration.ofSeconds(60));
            survivor.awaitReady(Duration.ofSeconds(60));
            // the client chooses the id, as one behind an ingress that hashes on it would
            String session = ProposedSessionIdTest.proposedId();

            JsonObject one = turn(doomed, ProposedSessionIdTest.chat("t1", session, true, "Tom found a shiny stone"), "t1");
            String acknowledged = one.getString("text");

            // turn two runs on the doomed replica until the context is full: it is still generating when the kill comes
            int deltasBeforeKill = 0;
            long killed;
            try (RawWebSocket ws = RawWebSocket.connect(doomed.port, 1 << 16)) {
                assertEquals("hello", new JsonObject(ws.nextText()).getString("type"));
                JsonObject cut = ProposedSessionIdTest.chat("t2", session, false, "Where did he put it?");
                cut.getJsonObject("params").put("max_tokens", -1).put("ignore_eos", true);
                ws.sendText(cut.encode());
                while (deltasBeforeKill < 3) {
                    JsonObject f = new JsonObject(ws.nextText());
                    assertTrue(f.getString("type").equals("started") || f.getString("type").equals("delta"), f.encode());
                    if (f.getString("type").equals("delta")) deltasBeforeKill++;
                }
                doomed.process.destroyForcibly(); // SIGKILL: no drain, no release, no last frame
                killed = System.nanoTime();
                assertTrue(doomed.process.waitFor(10, TimeUnit.SECONDS), "the killed process did not exit");
                assertEquals(137, doomed.process.exitValue(), "killed by SIGKILL (128 + 9)");
                String end = drain(ws);
                assertTrue(end.startsWith("cut"), "the cut turn never ends normally: " + end);
            }

            // Redis holds the acknowledged turn alone: the cut one was never saved
            String key = "parley:session:" + session;
            assertEquals(List.of(new ChatMessage("user", "Tom found a shiny stone"), new ChatMessage("assistant", acknowledged)),
                    SessionCodec.decode(redis.get(key)).history());
            assertNotNull(redis.get("parley:lease:" + session), "the dead replica's lease is still there");

            // the survivor refuses the session while the dead replica's lease lasts, and says for how long
            JsonObject busy = attempt(survivor, ProposedSessionIdTest.chat("t3", session, false, "What happened next?"), "t3");
            assertNotNull(busy.getJsonObject("error"), "the survivor ran a turn over a live lease: " + busy.encode());
            assertEquals("bad_request", busy.getJsonObject("error").getString("code"), busy.encode());
            long retryAfter = busy.getJsonObject("error").getLong("retry_after_ms");
            assertTrue(retryAfter > 0 && retryAfter <= LEASE_TTL_MS, "retry after what is left of one TTL: " + retryAfter);

            // after it, the survivor continues the conversation
            Thread.sleep(retryAfter + 50);
            JsonObject three = turn(survivor, ProposedSessionIdTest.chat("t3", session, false, "What happened next?"), "t3");
            long resumedMs = (System.nanoTime() - killed) / 1_000_000;
            List<ChatMessage> history = SessionCodec.decode(redis.get(key)).history();
            assertEquals(List.of(new ChatMessage("user", "Tom found a shiny stone"), new ChatMessage("assistant", acknowledged),
                    new ChatMessage("user", "What happened next?"), new ChatMessage("assistant", three.getString("text"))), history,
                    "turn one, then the survivor's turn: nothing of the cut turn");
            assertTrue(three.getJsonObject("started").getInteger("prompt_tokens") > one.getJsonObject("started").getInteger("prompt_tokens"),
                    "the survivor's prompt includes turn one (re-prefilled from Redis)");
            assertTrue(resumedMs < LEASE_TTL_MS + 3000, "resumed within about one lease TTL of the kill: " + resumedMs + " ms");
            assertNull(redis.get("parley:lease:" + session), "the survivor released its own lease with the turn");
            System.out.printf("sigkill: %d deltas of turn two before the kill; the survivor was refused with retry_after_ms %d,"
                            + " then resumed %d ms after the kill (lease TTL %d ms); wall %d ms%n",
                    deltasBeforeKill, retryAfter, resumedMs, LEASE_TTL_MS, (System.nanoTime() - testStart) / 1_000_000);
        }
    }

    private static ServerProcess serve(String model, RedisServer redis) throws IOException {
        return ServerProcess.start("--model", model, "--session-store", redis.uri(),
                "--session-lease-ttl", Double.toString(LEASE_TTL_MS / 1000.0));
    }

    /** One chat on a new connection, to its end: {"started", "done", "text"}; fails on an error frame. */
    private static JsonObject turn(ServerProcess server, JsonObject chat, String id) throws IOException {
        JsonObject r = attempt(server, chat, id);
        assertNull(r.getJsonObject("error"), () -> "error: " + r.encode() + "\n" + server.log());
        assertNotNull(r.getJsonObject("started"), r.encode());
        return r;
    }

    /** One chat on a new connection: its started and done frames and text, or its error frame. */
    private static JsonObject attempt(ServerProcess server, JsonObject chat, String id) throws IOException {
        try (RawWebSocket ws = RawWebSocket.connect(server.port, 1 << 16)) {
            assertEquals("hello", new JsonObject(ws.nextText()).getString("type"));
            ws.sendText(chat.encode());
            JsonObject result = new JsonObject();
            StringBuilder text = new StringBuilder();
            while (true) {
                String t = ws.nextText();
                if (t == null) throw new AssertionError("closed (" + ws.closeCode() + ") before the end of " + id);
                JsonObject f = new JsonObject(t);
                assertEquals(id, f.getString("id"), f.encode());
                switch (f.getString("type")) {
                    case "started" -> result.put("started", f);
                    case "delta" -> text.append(f.getString("text"));
                    case "done", "error" -> {
                        return result.put(f.getString("type"), f).put("text", text.toString());
                    }
                    default -> throw new AssertionError("unexpected frame " + f.encode());
                }
            }
        }
    }

    /** Reads what is left on a socket whose server was killed: "cut (...)" if it ended without a done or error frame. */
    private static String drain(RawWebSocket ws) {
        try {
            while (true) {
                String t = ws.nextText();
                if (t == null) return "close frame " + ws.closeCode();
                String type = new JsonObject(t).getString("type");
                if (!type.equals("delta")) return "frame " + t;
            }
        } catch (IOException e) {
            return "cut (" + e.getClass().getSimpleName() + ")";
        }
    }
}
