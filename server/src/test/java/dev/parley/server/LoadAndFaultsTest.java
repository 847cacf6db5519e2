package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.engine.EngineConfig;
import dev.parley.inference.model.MatmulMode;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.EngineHold;
import dev.parley.server.testing.RawWebSocket;
import dev.parley.server.testing.TestServer;
import dev.parley.server.testing.WsClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Behaviour under load and faults (issue 4): overload, slow readers, dropped HTTP streams, graceful shutdown. */
class LoadAndFaultsTest {
    private static JsonObject chat(String id, String user, JsonObject params) {
        return new JsonObject().put("type", "chat").put("id", id).put("params", params)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", user)));
    }

    /** Runs on until the context is full unless stopped: long enough for anything to happen mid-stream. */
    private static JsonObject endless() {
        return new JsonObject().put("temperature", 0).put("ignore_eos", true);
    }

    private static double metric(TestServer s, String prefix) {
        for (String line : s.server.metrics().scrape().split("\n"))
            if (line.startsWith(prefix)) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        throw new AssertionError("no metric " + prefix);
    }

    /** Requests that ended so far, for whatever reason. */
    private static double ended(TestServer s) {
        double n = 0;
        for (String line : s.server.metrics().scrape().split("\n"))
            if (line.startsWith("parley_request_success_total{")) n += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        return n;
    }

    @Test void aFullQueueIsOverloadedOnTheSocketAnd429OverHttp() throws Exception {
        // one running request and one waiting fill the engine
        ServerConfig config = ServerConfig.forTests().toBuilder().engine(new EngineConfig(1, 1, 64, MatmulMode.GGML)).build();
        try (TestServer server = TestServer.start(config); WsClient c = WsClient.connect(server.vertx, server.port, "/v1/chat/ws")) {
            assertEquals("hello", c.next().getString("type"));
            EngineHold hold = EngineHold.start(server);
            try {
                c.send(chat("waiting", "Once upon a time", new JsonObject().put("temperature", 0).put("max_tokens", 4)));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (server.model.engine().waitingCount() < 1) {
                    assertTrue(System.nanoTime() < deadline, "the second request was not queued");
                    Thread.sleep(2);
                }
                c.send(chat("refused", "Once upon a time", endless()));
                JsonObject err = c.next();
                assertEquals("refused", err.getString("id"), err.encode());
                assertEquals("error", err.getString("type"), err.encode());
                assertEquals("overloaded", err.getString("code"));
                assertTrue(err.getLong("retry_after_ms") > 0, err.encode());

                var http = server.post("/v1/chat/completions", new JsonObject().put("max_tokens", 4)
                        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi"))).encode(), null);
                assertEquals(429, http.statusCode(), http.body());
                assertTrue(Integer.parseInt(http.headers().firstValue("Retry-After").orElseThrow()) >= 1);
                assertEquals("rate_limit_exceeded", new JsonObject(http.body()).getJsonObject("error").getString("code"));
                assertEquals(2, metric(server, "parley_requests_rejected_total "));
            } finally {
                hold.release();
            }
            // the queued request runs once the slot frees, and the queue has room again
            WsClient.Result waited = c.awaitEnd("waiting");
            assertEquals("length", waited.done.getString("finish_reason"), () -> String.valueOf(waited.error));
            c.send(chat("later", "Once upon a time", new JsonObject().put("temperature", 0).put("max_tokens", 4)));
            WsClient.Result later = c.awaitEnd("later");
            assertNull(later.error, () -> later.error.encode());
            assertEquals("length", later.done.getString("finish_reason"));
        }
    }

    @Test void queuedPromptTokensAreBoundedToo() throws Exception {
        // room for one ~46-token chat prompt in the queue, not two (the request count limit is far away)
        ServerConfig config = ServerConfig.forTests().toBuilder().maxWaitingTokens(60).build();
        try (TestServer server = TestServer.start(config); WsClient c = WsClient.connect(server.vertx, server.port, "/v1/chat/ws")) {
            c.next();
            EngineHold hold = EngineHold.start(server);
            try {
                c.send(chat("first", "Once upon a time", new JsonObject().put("temperature", 0).put("max_tokens", 4)));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (server.model.engine().waitingCount() < 1) {
                    assertTrue(System.nanoTime() < deadline, "the first request was not queued");
                    Thread.sleep(2);
                }
                c.send(chat("second", "Once upon a time", new JsonObject().put("temperature", 0).put("max_tokens", 4)));
                JsonObject err = c.next();
                assertEquals("second", err.getString("id"), err.encode());
                assertEquals("overloaded", err.getString("code"), err.encode());
                assertTrue(err.getString("message").contains("prompt tokens are waiting"), err.encode());
            } finally {
                hold.release();
            }
            assertEquals("length", c.awaitEnd("first").done.getString("finish_reason"));
            // admitted requests no longer count: the queue takes a prompt again
            c.send(chat("third", "Once upon a time", new JsonObject().put("temperature", 0).put("max_tokens", 4)));
            assertEquals("length", c.awaitEnd("third").done.getString("finish_reason"));
            assertEquals(0, server.server.chatService().waitingTokens());
        }
    }

    @Test void aClientThatStopsReadingIsCancelledWhileAnotherSessionIsUnaffected() throws Exception {
        ServerConfig config = ServerConfig.forTests().toBuilder().slowReaderTimeout(Duration.ofMillis(300)).maxPendingChars(4096)
                .engine(new EngineConfig(8, 64, 64, MatmulMode.GGML)).build();
        try (TestServer server = TestServer.start(config)) {
            String expected;
            try (WsClient baseline = WsClient.connect(server.vertx, server.port, "/v1/chat/ws")) {
                baseline.next();
                baseline.send(chat("b", "The little dog", new JsonObject().put("temperature", 0).put("max_tokens", 200).put("ignore_eos", true)));
                expected = baseline.awaitEnd("b").text.toString();
            }
            double cancelledBefore = metric(server, "parley_request_success_total{finished_reason=\"cancelled\"}");
            long t0 = System.nanoTime();
            // a 4 KiB receive window that is never read: the server's writes back up after a few frames
            try (RawWebSocket slow = RawWebSocket.connect(server.port, 4096);
                 WsClient good = WsClient.connect(server.vertx, server.port, "/v1/chat/ws")) {
                good.next();
                // big frames (20 alternatives per token) so the backlog builds fast
                for (int i = 0; i < 4; i++) slow.sendText(chat("slow" + i, "Once upon a time", endless().put("logprobs", 20)).encode());
                good.send(chat("g", "The little dog", new JsonObject().put("temperature", 0).put("max_tokens", 200).put("ignore_eos", true)));
                WsClient.Result r = good.awaitEnd("g");
                assertNull(r.error);
                assertEquals("length", r.done.getString("finish_reason"));
                assertEquals(expected, r.text.toString(), "the other session's output is unchanged");

                // over loopback the kernel takes ~2.7 MB of frames before the server sees the socket unwritable: on a
                // loaded machine the engine needs a while to produce that much
                server.awaitEngineIdle(Duration.ofSeconds(60));
                assertEquals(cancelledBefore + 4, metric(server, "parley_request_success_total{finished_reason=\"cancelled\"}"),
                        "all four of the slow reader's requests were cancelled");
                // reading again: the held-back text was flushed and each request ended as cancelled, well before the context filled
                List<String> finishes = new ArrayList<>();
                int completion = 0;
                String frame;
                while (finishes.size() < 4 && (frame = slow.nextText()) != null) {
                    JsonObject f = new JsonObject(frame);
                    if ("done".equals(f.getString("type"))) {
                        finishes.add(f.getString("finish_reason"));
                        completion = Math.max(completion, f.getJsonObject("usage").getInteger("completion_tokens"));
                    }
                }
                assertEquals(List.of("cancelled", "cancelled", "cancelled", "cancelled"), finishes);
                assertTrue(completion < server.model.contextLength() - 20, "stopped early: " + completion + " tokens");
            }
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(90));
        }
    }

    /**
     * The SSE twin of the slow WebSocket reader: streams whose client stops reading have their requests cancelled once
     * their connection stays unwritable for the slow-reader timeout, instead of holding an engine slot until the
     * context is full. The client is HTTP/2 (h2c) and pauses its responses: each stream's flow-control window (64 KiB)
     * then fills, as a TCP window does for an HTTP/1.1 reader, but quickly; over loopback TCP the kernel takes a few
     * MiB per connection first, more than this model's whole reply.
     */
    @Test void anSseClientThatStopsReadingIsCancelledAfterTheSlowReaderTimeout() throws Exception {
        int stalledStreams = 2;
        ServerConfig config = ServerConfig.forTests().toBuilder().slowReaderTimeout(Duration.ofMillis(100)).build();
        try (TestServer server = TestServer.start(config)) {
            // big chunks (20 alternatives per token, with their bytes) so the backlog builds fast; EOS banned, so
            // only the context or a cancel ends a request
            String eos = Integer.toString(server.model.model().tokenizer().eosId());
            Buffer body = new JsonObject().put("stream", true).put("temperature", 1).put("logprobs", true).put("top_logprobs", 20)
                    .put("logit_bias", new JsonObject().put(eos, -100))
                    .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Once upon a time")))
                    .toBuffer();
            double cancelledBefore = metric(server, "parley_request_success_total{finished_reason=\"cancelled\"}");
            double fullBefore = metric(server, "parley_request_success_total{finished_reason=\"context_overflow\"}");
            double endedBefore = ended(server);
            // one client (so one connection) per stalled stream: a paused stream also holds its connection's flow-control
            // window, and a second stream on that connection hung waiting for its response once in an idle CI run
            List<HttpClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < stalledStreams; i++) {
                    HttpClient client = server.vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                            .setHttp2ClearTextUpgrade(false));
                    clients.add(client);
                    HttpClientResponse response = client.request(HttpMethod.POST, server.port, "127.0.0.1", "/v1/chat/completions")
                            .compose(request -> request.putHeader("Content-Type", "application/json").send(body))
                            .await(20, TimeUnit.SECONDS);
                    response.pause(); // and never read: the stream's window is not given back
                    assertEquals(200, response.statusCode());
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (server.model.engine().runningCount() + ended(server) - endedBefore < stalledStreams) {
                    assertTrue(System.nanoTime() < deadline, "the stalled streams never ran together");
                    Thread.sleep(5);
                }
                server.awaitEngineIdle(Duration.ofSeconds(30));
                assertEquals(fullBefore, metric(server, "parley_request_success_total{finished_reason=\"context_overflow\"}"),
                        "no stalled stream ran on to the end of the context");
                assertEquals(cancelledBefore + stalledStreams,
                        metric(server, "parley_request_success_total{finished_reason=\"cancelled\"}"), "each stalled stream was cancelled");
            } finally {
                for (HttpClient client : clients) client.close().await(20, TimeUnit.SECONDS);
            }
        }
    }

    @Test void droppingAnHttpStreamMidwayCancelsItsGeneration() throws Exception {
        try (TestServer server = TestServer.start(ServerConfig.forTests())) {
            String body = new JsonObject().put("stream", true).put("temperature", 0).put("max_tokens", 100_000)
                    .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Tell me a story"))).encode();
            double generatedBefore = metric(server, "parley_generation_tokens_total ");
            try (Socket s = new Socket("127.0.0.1", server.port)) {
                OutputStream out = s.getOutputStream();
                out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                out.flush();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[4096];
                int seen = 0;
                String text = "";
                while (!(text.split("data: ", -1).length > 4)) { // the role chunk and a few content chunks
                    int n = in.read(buf);
                    assertTrue(n > 0, "stream ended early: " + text);
                    text += new String(buf, 0, n, StandardCharsets.UTF_8);
                    seen += n;
                }
                assertTrue(text.startsWith("HTTP/1.1 200"), text);
            } // closed mid-stream
            server.awaitEngineIdle(Duration.ofSeconds(5));
            double generated = metric(server, "parley_generation_tokens_total ") - generatedBefore;
            assertTrue(generated < server.model.contextLength() - 100, "generation stopped with the connection: " + generated + " tokens");
            assertEquals(1, metric(server, "parley_request_success_total{finished_reason=\"cancelled\"}"));
        }
    }

    @Test void gracefulShutdownFinishesInFlightStreamsThenClosesWith1001() throws Exception {
        TestServer server = TestServer.start(ServerConfig.forTests().toBuilder().drainTimeout(Duration.ofSeconds(20)).build());
        try (WsClient c = WsClient.connect(server.vertx, server.port, "/v1/chat/ws")) {
            c.next();
            CompletableFuture<Short> closeCode = new CompletableFuture<>();
            c.ws.closeHandler(v -> closeCode.complete(c.ws.closeStatusCode()));
            // long enough to still be running while shutdown starts (the context holds a few hundred tokens)
            c.send(chat("inflight", "Once upon a time", new JsonObject().put("temperature", 0).put("max_tokens", 300).put("ignore_eos", true)));
            assertEquals("started", c.next().getString("type"));
            assertEquals("delta", c.next().getString("type"));
            EngineHold hold = EngineHold.start(server); // the stream pauses (mid-way) until the checks below are done
            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(server.server::shutdown);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (server.get("/health/ready").statusCode() != 503) {
                assertTrue(System.nanoTime() < deadline, "readiness did not turn 503");
                Thread.sleep(5);
            }
            // no new work: on the open socket, and over HTTP
            c.send(chat("new", "Hi", new JsonObject().put("max_tokens", 2)));
            var http = server.post("/v1/chat/completions", new JsonObject().put("max_tokens", 2)
                    .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi"))).encode(), null);
            assertEquals(503, http.statusCode(), http.body());
            WsClient.Result refused = c.awaitEnd("new");
            assertNotNull(refused.error, "refused while draining");
            assertEquals("overloaded", refused.error.getString("code"));
            assertFalse(shutdown.isDone(), "still draining");
            hold.release();
            // the in-flight stream runs to its end
            WsClient.Result inflight = c.awaitEnd("inflight");
            assertEquals("length", inflight.done.getString("finish_reason"), inflight.done.encode());
            assertEquals(300, inflight.done.getJsonObject("usage").getInteger("completion_tokens"));
            shutdown.get(30, TimeUnit.SECONDS);
            assertEquals((short) 1001, closeCode.get(10, TimeUnit.SECONDS));
        } finally {
            server.close();
        }
    }

}
