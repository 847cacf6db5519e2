package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.testing.Shared;
import dev.parley.server.testing.LoopbackFront;
import dev.parley.server.testing.RawWebSocket;
import dev.parley.server.testing.RedisServer;
import dev.parley.server.testing.ServerProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The rolling-update drill (issue 7), on loopback with real processes and sockets: two {@code parley serve}
 * processes share a real Redis behind a {@link LoopbackFront} that routes new connections by readiness, as a
 * Kubernetes Service does. While a steady load streams through the front (WebSocket turns that continue their
 * sessions, and OpenAI SSE streams, each on a new connection), one replica gets SIGTERM. No started stream may be
 * cut, no request may fail, the drained replica must exit by itself with code 0 within its drain timeout, and the
 * sessions it served continue on the survivor from their Redis history.
 */
class RollingUpdateDrillTest {
    private static final int MAX_TOKENS = 48;
    private static final int DRAIN_TIMEOUT_S = 20;
    /** How long the server keeps taking work after SIGTERM while readiness already says 503 (the front polls every 50 ms). */
    private static final int SHUTDOWN_DELAY_S = 1;
    private static final int WS_WORKERS = 3, SSE_WORKERS = 2;
    private static final int DOOMED = 0, SURVIVOR = 1;

    /** One request as the client saw it. {@code backend} is where the front sent its connection (-1: never routed). */
    record Outcome(String kind, int worker, int backend, long routedNanos, long startNanos, long endNanos, String error,
                   String session, int promptTokens, int completionTokens) {
        boolean ok() { return error == null; }
    }

    /** A WebSocket worker's conversation: each turn opens a new connection through the front and names the session. */
    private static final class Conversation {
        String session;
        int lastPrompt, lastCompletion, turns;
        boolean ranOnDoomed;
    }

    private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    /** Sessions that had a turn on the doomed replica and a later one on the survivor, after the doomed one exited. */
    private final AtomicInteger continuedOnSurvivor = new AtomicInteger();
    private volatile long doomedExitedAt = Long.MAX_VALUE;
    private volatile boolean stop;
    private LoopbackFront front;
    private int contextLength;

    @Test void sigtermUnderSteadyLoadCutsNoStreamAndFailsNoRequest() throws Exception {
        var model = Shared.stories260K().toString();
        long testStart = System.nanoTime();
        try (RedisServer redis = RedisServer.start();
             ServerProcess doomed = serve(model, redis);
             ServerProcess survivor = serve(model, redis)) {
            doomed.awaitReady(Duration.ofSeconds(60));
            survivor.awaitReady(Duration.ofSeconds(60));
            front = LoopbackFront.start(List.of(doomed.port, survivor.port), Duration.ofMillis(50));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!(front.ready(DOOMED) && front.ready(SURVIVOR))) {
                assertTrue(System.nanoTime() < until, "the front never saw both replicas ready");
                Thread.sleep(20);
            }
            contextLength = hello().getInteger("context_length");

            List<Thread> workers = new ArrayList<>();
            for (int w = 0; w < WS_WORKERS; w++) {
                int id = w;
                workers.add(Thread.ofPlatform().name("ws-" + w).start(() -> wsWorker(id)));
            }
            for (int w = 0; w < SSE_WORKERS; w++) {
                int id = WS_WORKERS + w;
                workers.add(Thread.ofPlatform().name("sse-" + w).start(() -> sseWorker(id)));
            }
            // an idle WebSocket on the doomed replica: it must be told to go away (1001), not left hanging
            RawWebSocket idle = idleSocketOn(DOOMED);
            idle.soTimeout(0); // it waits as long as the drill takes
            AtomicReference<String> idleEnd = new AtomicReference<>();
            Thread idleReader = Thread.ofPlatform().start(() -> {
                try {
                    String t = idle.nextText();
                    idleEnd.set(t == null ? "close " + idle.closeCode() : "frame " + t);
                } catch (IOException e) {
                    idleEnd.set("broken: " + e);
                }
            });

            // steady state: both replicas serve, and some sessions live on the doomed one
            awaitCondition(Duration.ofSeconds(20), "requests on both replicas and a finished WebSocket turn on the doomed one",
                    () -> count(o -> o.backend == DOOMED && o.kind.equals("ws")) >= 2 && count(o -> o.backend == SURVIVOR) >= 2
                            && count(o -> o.backend == DOOMED && o.kind.equals("sse")) >= 1);
            int inFlightAtSigterm = front.open(DOOMED) - 1; // less the idle socket
            long sigterm = System.nanoTime();
            doomed.terminate();
            assertTrue(doomed.process.waitFor(SHUTDOWN_DELAY_S + DRAIN_TIMEOUT_S + 5, TimeUnit.SECONDS),
                    "the drained replica did not exit within its delay + drain timeout:\n" + doomed.log());
            doomedExitedAt = System.nanoTime();
            long drainMs = (doomedExitedAt - sigterm) / 1_000_000;
            int exitCode = doomed.process.exitValue();
            idleReader.join(5000);

            // keep the load on the survivor alone for a while, until some sessions moved over
            boolean continued = eventually(Duration.ofSeconds(15), () -> continuedOnSurvivor.get() >= 2);
            stop = true;
            for (Thread t : workers) t.join(30_000);

            long frontNoticed = front.notReadySince(DOOMED);
            List<Outcome> all = List.copyOf(outcomes);
            List<Outcome> failed = all.stream().filter(o -> !o.ok()).toList();
            long afterSigterm = all.stream().filter(o -> o.startNanos > sigterm).count();
            long afterSigtermOnDoomed = all.stream().filter(o -> o.startNanos > sigterm && o.backend == DOOMED).count();
            long routedToDoomedAfterNotReady = all.stream().filter(o -> o.backend == DOOMED && frontNoticed != 0
                    && o.routedNanos > frontNoticed).count();
            long inFlightDoomedFinished = all.stream().filter(o -> o.backend == DOOMED && o.startNanos < sigterm && o.endNanos > sigterm).count();
            System.out.printf("drill: %d requests (%d after SIGTERM, %d of those still routed to the draining replica before the front"
                            + " saw readiness drop %d ms after SIGTERM); %d streams in flight on it at SIGTERM, %d of them finished"
                            + " after it; it exited %d ms after SIGTERM with code %d; %d sessions continued on the survivor;"
                            + " idle socket: %s; wall %d ms%n",
                    all.size(), afterSigterm, afterSigtermOnDoomed, frontNoticed == 0 ? -1 : (frontNoticed - sigterm) / 1_000_000,
                    inFlightAtSigterm, inFlightDoomedFinished, drainMs, exitCode, continuedOnSurvivor.get(), idleEnd.get(),
                    (System.nanoTime() - testStart) / 1_000_000);

            assertTrue(failed.isEmpty(), failed.size() + " of " + all.size() + " requests failed, e.g. " + failed.subList(0, Math.min(5, failed.size()))
                    + "\n--- doomed replica's log:\n" + doomed.log());
            assertEquals(0, front.refused.get(), "connections found no ready replica");
            assertTrue(inFlightAtSigterm >= 1, "the drill must catch streams in flight (had " + inFlightAtSigterm + ")");
            assertTrue(inFlightDoomedFinished >= 1, "a stream running at SIGTERM ran to its end");
            assertEquals(0, routedToDoomedAfterNotReady, "no new connection goes to a replica the front saw as not ready");
            assertTrue(afterSigterm - afterSigtermOnDoomed >= 3, "new requests went to the survivor after SIGTERM");
            assertEquals(0, exitCode, "a drained replica exits cleanly:\n" + doomed.log());
            assertTrue(drainMs < (SHUTDOWN_DELAY_S + DRAIN_TIMEOUT_S) * 1000L, "exited within its drain timeout: " + drainMs + " ms");
            assertEquals("close 1001", idleEnd.get(), "the idle socket on the drained replica is closed as going away");
            assertTrue(continued, "sessions that ran on the drained replica continue on the survivor (" + continuedOnSurvivor.get() + ")");
        } finally {
            stop = true;
            if (front != null) front.close();
        }
    }

    private static ServerProcess serve(String model, RedisServer redis) throws IOException {
        return ServerProcess.start("--model", model, "--session-store", redis.uri(), "--drain-timeout", Integer.toString(DRAIN_TIMEOUT_S),
                "--shutdown-delay", Integer.toString(SHUTDOWN_DELAY_S), "--max-running", "16");
    }

    private long count(java.util.function.Predicate<Outcome> p) {
        return outcomes.stream().filter(p).count();
    }

    private void awaitCondition(Duration timeout, String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        if (!eventually(timeout, condition)) {
            List<Outcome> all = List.copyOf(outcomes);
            throw new AssertionError("timed out waiting for " + what + "; " + all.size() + " requests so far, failures: "
                    + all.stream().filter(o -> !o.ok()).limit(5).toList());
        }
    }

    private static boolean eventually(Duration timeout, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(20);
        }
        return true;
    }

    private JsonObject hello() throws IOException {
        try (RawWebSocket ws = RawWebSocket.connect(front.port(), 1 << 16)) {
            return new JsonObject(ws.nextText());
        }
    }

    /** Opens WebSockets through the front until one lands on {@code backend}; the others are closed. */
    private RawWebSocket idleSocketOn(int backend) throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            RawWebSocket ws = RawWebSocket.connect(front.port(), 1 << 16);
            assertEquals("hello", new JsonObject(ws.nextText()).getString("type"));
            LoopbackFront.Route r = front.takeRoute(ws.localPort());
            if (r != null && r.backend() == backend) return ws;
            ws.close();
        }
        throw new AssertionError("the front never routed a socket to replica " + backend);
    }

    // ---- WebSocket: a conversation per worker, one new connection per turn, the session named in each chat frame

    private void wsWorker(int worker) {
        Conversation c = new Conversation();
        while (!stop) {
            if (c.session != null && c.lastPrompt + c.lastCompletion + MAX_TOKENS + 64 > contextLength) c = new Conversation();
            outcomes.add(wsTurn(worker, c));
        }
    }

    private Outcome wsTurn(int worker, Conversation c) {
        long t0 = System.nanoTime();
        int clientPort = -1;
        String error = null;
        JsonObject started = null, done = null;
        try (RawWebSocket ws = RawWebSocket.connect(front.port(), 1 << 16)) {
            clientPort = ws.localPort();
            String hello = ws.nextText();
            if (hello == null || !new JsonObject(hello).getString("type").equals("hello")) throw new IOException("no hello but " + hello);
            JsonObject chat = new JsonObject().put("type", "chat").put("id", "t" + c.turns)
                    .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Tell me about the dog, part " + c.turns)))
                    .put("params", new JsonObject().put("max_tokens", MAX_TOKENS).put("ignore_eos", true).put("seed", worker * 1000 + c.turns));
            if (c.session != null) chat.put("session", c.session);
            ws.sendText(chat.encode());
            while (done == null && error == null) {
                String t = ws.nextText();
                if (t == null) {
                    error = "the socket closed (" + ws.closeCode() + ") before done";
                    break;
                }
                JsonObject f = new JsonObject(t);
                switch (f.getString("type")) {
                    case "started" -> started = f;
                    case "delta" -> { }
                    case "done" -> done = f;
                    default -> error = "frame " + t;
                }
            }
        } catch (IOException | RuntimeException e) {
            error = e.toString();
        }
        long t1 = System.nanoTime();
        LoopbackFront.Route route = clientPort < 0 ? null : front.takeRoute(clientPort);
        int backend = route == null ? -1 : route.backend();
        int prompt = 0, completion = 0;
        if (error == null) {
            prompt = started == null ? -1 : started.getInteger("prompt_tokens");
            completion = done.getJsonObject("usage").getInteger("completion_tokens");
            if (started == null) error = "done without started: " + done.encode();
            else if (!"length".equals(done.getString("finish_reason")) || completion != MAX_TOKENS)
                error = "cut short: " + done.encode();
            else if (c.session != null && !c.session.equals(started.getString("session")))
                error = "asked for session " + c.session + ", got " + started.encode();
            // the reply is re-tokenized as text in the next prompt (it may merge into fewer tokens), hence the margin
            else if (c.session != null && prompt < c.lastPrompt + c.lastCompletion / 2)
                error = "history lost: turn " + c.turns + " has " + prompt + " prompt tokens, the previous turn had "
                        + c.lastPrompt + " + " + c.lastCompletion + " (" + started.encode() + ")";
        }
        String session = started == null ? c.session : started.getString("session");
        if (error == null) {
            // the doomed replica is gone: the survivor can only know this conversation from Redis
            if (c.ranOnDoomed && backend == SURVIVOR && t0 > doomedExitedAt) continuedOnSurvivor.incrementAndGet();
            c.session = session;
            c.lastPrompt = prompt;
            c.lastCompletion = completion;
            c.ranOnDoomed |= backend == DOOMED;
            c.turns++;
        }
        return new Outcome("ws", worker, backend, route == null ? 0 : route.acceptedNanos(), t0, t1, error, session, prompt, completion);
    }

    // ---- OpenAI SSE: a raw HTTP/1.1 request per stream (Connection: close), end-of-sequence banned so it runs to max_tokens

    private void sseWorker(int worker) {
        int n = 0;
        while (!stop) outcomes.add(sseStream(worker, n++));
    }

    private Outcome sseStream(int worker, int n) {
        long t0 = System.nanoTime();
        int clientPort = -1;
        String error = null;
        int completion = 0, prompt = 0;
        byte[] body = new JsonObject().put("stream", true).put("max_tokens", MAX_TOKENS).put("seed", worker * 1000 + n)
                .put("stream_options", new JsonObject().put("include_usage", true))
                .put("logit_bias", new JsonObject().put("2", -100)) // stories260K's end-of-sequence token
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "A story about a cat, number " + n)))
                .encode().getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), front.port())) {
            s.setSoTimeout(20_000);
            clientPort = s.getLocalPort();
            s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(body);
            s.getOutputStream().flush();
            byte[] response = s.getInputStream().readAllBytes();
            String head = new String(response, StandardCharsets.ISO_8859_1); // byte offsets = character offsets
            int headerEnd = head.indexOf("\r\n\r\n");
            if (!head.startsWith("HTTP/1.1 200") || headerEnd < 0) throw new IOException("response: " + new String(response, StandardCharsets.UTF_8));
            String headers = head.substring(0, headerEnd).toLowerCase(java.util.Locale.ROOT);
            String raw = head.substring(headerEnd + 4);
            if (headers.contains("transfer-encoding: chunked")) raw = dechunk(raw);
            String payload = new String(raw.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            String finish = null;
            boolean doneMarker = false;
            for (String event : payload.split("\n\n")) {
                if (event.isBlank()) continue;
                if (!event.startsWith("data: ")) throw new IOException("not an SSE event: " + event);
                String data = event.substring(6);
                if (data.equals("[DONE]")) { doneMarker = true; continue; }
                JsonObject chunk = new JsonObject(data);
                if (chunk.containsKey("error")) throw new IOException("error event " + data);
                JsonArray choices = chunk.getJsonArray("choices");
                if (!choices.isEmpty() && choices.getJsonObject(0).getString("finish_reason") != null)
                    finish = choices.getJsonObject(0).getString("finish_reason");
                if (chunk.getJsonObject("usage") != null) {
                    completion = chunk.getJsonObject("usage").getInteger("completion_tokens");
                    prompt = chunk.getJsonObject("usage").getInteger("prompt_tokens");
                }
            }
            if (!doneMarker) error = "stream cut: no [DONE] (" + payload.length() + " characters)";
            else if (!"length".equals(finish) || completion != MAX_TOKENS) error = "cut short: finish " + finish + ", " + completion + " tokens";
        } catch (IOException | RuntimeException e) {
            error = e.toString();
        }
        long t1 = System.nanoTime();
        LoopbackFront.Route route = clientPort < 0 ? null : front.takeRoute(clientPort);
        return new Outcome("sse", worker, route == null ? -1 : route.backend(), route == null ? 0 : route.acceptedNanos(), t0, t1, error,
                null, prompt, completion);
    }

    /** HTTP/1.1 chunked transfer coding, over bytes held one per character (ISO-8859-1). */
    private static String dechunk(String s) throws IOException {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (true) {
            int eol = s.indexOf("\r\n", i);
            if (eol < 0) throw new IOException("truncated chunked body");
            int size = Integer.parseInt(s.substring(i, eol).strip(), 16);
            if (size == 0) return out.toString();
            out.append(s, eol + 2, eol + 2 + size);
            i = eol + 2 + size + 2;
        }
    }
}
