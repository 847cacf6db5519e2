package dev.parley.server.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.engine.EngineStats;
import dev.parley.server.config.ServerConfig;
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
 * Multi-turn KV reuse: a session's next turn finds the earlier turns' KV blocks in the engine's prefix cache, reports
 * them as cached_tokens, and only the new turn is prefilled (checked against the engine's own row counter).
 */
class KvReuseTest {
    static TestServer server;

    @BeforeAll static void start() {
        server = TestServer.start(ServerConfig.forTests());
    }

    @AfterAll static void stop() {
        if (server != null) server.close();
    }

    private static JsonObject chat(String id, String session, String user) {
        JsonObject f = new JsonObject().put("type", "chat").put("id", id)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", user)))
                .put("params", new JsonObject().put("temperature", 0).put("max_tokens", 24).put("ignore_eos", true));
        if (session != null) f.put("session", session);
        return f;
    }

    private static EngineStats stats() {
        return server.model.engine().stats();
    }

    @Test void secondTurnReusesTheFirstTurnsCacheAndPrefillsOnlyTheNewTurn() throws Exception {
        int blockSize = ServerConfig.forTests().engine().kvBlockSize();
        try (WsClient c = WsClient.connect(server.vertx, server.port, "/v1/chat/ws")) {
            assertEquals("hello", c.next().getString("type"));
            c.send(chat("t1", null, "Once upon a time there was a little girl named Lily who loved to play in the park"));
            WsClient.Result first = c.awaitEnd("t1");
            assertNull(first.error, () -> "error: " + first.error);
            assertEquals(0, first.started.getInteger("cached_tokens"), "nothing cached before the first turn");
            String session = first.started.getString("session");
            int firstPrompt = first.started.getInteger("prompt_tokens");
            int firstReply = first.done.getJsonObject("usage").getInteger("completion_tokens");
            server.awaitEngineIdle(Duration.ofSeconds(5));

            EngineStats before = stats();
            c.send(chat("t2", session, "What did she see?"));
            WsClient.Result second = c.awaitEnd("t2");
            server.awaitEngineIdle(Duration.ofSeconds(5));
            EngineStats after = stats();
            assertNull(second.error, () -> "error: " + second.error);

            int prompt = second.started.getInteger("prompt_tokens");
            int cached = second.started.getInteger("cached_tokens");
            int generated = second.done.getJsonObject("usage").getInteger("completion_tokens");
            assertTrue(cached > 0, "second turn reused nothing: " + second.started.encode());
            assertEquals(cached, second.done.getJsonObject("usage").getInteger("cached_tokens"));
            assertEquals(cached, after.prefixHitTokens() - before.prefixHitTokens(), "what the engine skipped is what we report");
            assertEquals(0, cached % blockSize, "whole KV blocks are reused");
            // the new turn: everything after turn one's prompt and reply (the closing of the assistant turn, the user turn
            // and the next assistant header); the cache covers all of turn one except its last, partly filled block
            int newTurn = prompt - (firstPrompt + firstReply);
            assertTrue(newTurn > 0, "prompt " + prompt + " vs " + firstPrompt + "+" + firstReply);
            assertTrue(prompt - cached <= newTurn + blockSize, "prefilled " + (prompt - cached) + " tokens for a new turn of " + newTurn);
            // rows the engine computed for this request: its uncached prompt, then one per decode step (the last sampled
            // token is never fed back)
            assertEquals(prompt - cached + generated - 1, after.computedTokens() - before.computedTokens());
        }
    }

    @Test void openAiUsageReportsCachedPromptTokens() throws Exception {
        String body = new JsonObject().put("max_tokens", 4).put("temperature", 0)
                .put("messages", new JsonArray()
                        .add(new JsonObject().put("role", "system").put("content", "You are a storyteller who tells short and happy stories about animals in the forest."))
                        .add(new JsonObject().put("role", "user").put("content", "A fox"))).encode();
        var r1 = server.post("/v1/chat/completions", body, null);
        assertEquals(200, r1.statusCode(), r1.body());
        var r2 = server.post("/v1/chat/completions", body, null);
        JsonObject usage1 = new JsonObject(r1.body()).getJsonObject("usage"), usage2 = new JsonObject(r2.body()).getJsonObject("usage");
        int prompt = usage2.getInteger("prompt_tokens");
        int cached = usage2.getJsonObject("prompt_tokens_details").getInteger("cached_tokens");
        assertTrue(cached > 0 && cached < prompt, "the same prompt again: whole blocks before the last token come from the cache: " + usage2);
        assertTrue(usage1.getJsonObject("prompt_tokens_details").getInteger("cached_tokens") <= cached, usage1.encode());
    }

    @Test void metricsExposeLatencyHistogramsAndEngineGauges() throws Exception {
        String body = new JsonObject().put("max_tokens", 6).put("temperature", 0)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Tell me about the sea and the boats on it"))).encode();
        server.post("/v1/chat/completions", body, null);
        server.post("/v1/chat/completions", body, null); // a prefix-cache hit
        String scrape = server.get("/metrics").body();
        for (String name : List.of("parley_inter_token_latency_seconds_bucket", "parley_inter_token_latency_seconds_count",
                "parley_request_queue_time_seconds_bucket", "parley_kv_cache_usage_perc ", "parley_batch_size ",
                "parley_prefix_cache_hits_total ", "parley_prefix_cache_queries_total "))
            assertTrue(scrape.contains(name), "missing " + name);
        double hits = value(scrape, "parley_prefix_cache_hits_total "), queries = value(scrape, "parley_prefix_cache_queries_total ");
        assertTrue(hits > 0 && queries >= hits, hits + " hits of " + queries);
        assertEquals(server.model.engine().stats().prefixHitTokens(), (long) hits);
        assertTrue(value(scrape, "parley_inter_token_latency_seconds_count") >= 10, "5 gaps per request");
        double usage = value(scrape, "parley_kv_cache_usage_perc ");
        assertTrue(usage >= 0 && usage <= 1, "usage " + usage);
    }

    private static double value(String scrape, String prefix) {
        for (String line : scrape.split("\n")) if (line.startsWith(prefix)) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        throw new AssertionError("no " + prefix);
    }
}
