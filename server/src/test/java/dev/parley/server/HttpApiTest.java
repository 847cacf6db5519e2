package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.engine.EngineConfig;
import dev.parley.inference.kv.PagedKvCache;
import dev.parley.inference.testing.Shared;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Health, metrics and the OpenAI-compatible API over real HTTP, with the real model. */
class HttpApiTest {
    static TestServer server;

    @BeforeAll static void start() {
        server = TestServer.start(ServerConfig.forTests());
    }

    @AfterAll static void stop() {
        if (server != null) server.close();
    }

    private static String request(boolean stream, int maxTokens) {
        return new JsonObject().put("model", "stories260K").put("stream", stream).put("max_tokens", maxTokens).put("temperature", 0)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Once upon a time")))
                .encode();
    }

    @Test void healthEndpoints() throws Exception {
        assertEquals(200, server.get("/health/live").statusCode());
        assertEquals(200, server.get("/health/ready").statusCode());
    }

    @Test void modelsListsTheServedModel() throws Exception {
        var r = server.get("/v1/models");
        assertEquals(200, r.statusCode());
        JsonObject body = new JsonObject(r.body());
        assertEquals("list", body.getString("object"));
        assertEquals("stories260K", body.getJsonArray("data").getJsonObject(0).getString("id"));
    }

    @Test void nonStreamingChatCompletion() throws Exception {
        var r = server.post("/v1/chat/completions", request(false, 20), null);
        assertEquals(200, r.statusCode(), r.body());
        JsonObject body = new JsonObject(r.body());
        assertEquals("chat.completion", body.getString("object"));
        JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
        assertEquals("assistant", choice.getJsonObject("message").getString("role"));
        assertEquals("length", choice.getString("finish_reason"));
        JsonObject usage = body.getJsonObject("usage");
        assertEquals(20, usage.getInteger("completion_tokens"));
        assertEquals(usage.getInteger("prompt_tokens") + 20, usage.getInteger("total_tokens"));
        assertTrue(choice.getJsonObject("message").getString("content").length() > 0);
    }

    @Test void streamingChatCompletionMatchesNonStreaming() throws Exception {
        String expected = new JsonObject(server.post("/v1/chat/completions", request(false, 20), null).body())
                .getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content");
        String req = new JsonObject(request(true, 20)).put("stream_options", new JsonObject().put("include_usage", true)).encode();
        var r = server.post("/v1/chat/completions", req, null);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> events = r.body().lines().filter(l -> !l.isEmpty()).toList();
        assertTrue(events.stream().allMatch(l -> l.startsWith("data: ")), r.body());
        assertEquals("data: [DONE]", events.getLast());
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonObject usage = null;
        for (String e : events.subList(0, events.size() - 1)) {
            JsonObject chunk = new JsonObject(e.substring(6));
            assertEquals("chat.completion.chunk", chunk.getString("object"));
            if (chunk.getJsonObject("usage") != null) {
                usage = chunk.getJsonObject("usage");
                assertTrue(chunk.getJsonArray("choices").isEmpty());
                continue;
            }
            JsonObject choice = chunk.getJsonArray("choices").getJsonObject(0);
            String c = choice.getJsonObject("delta").getString("content");
            if (c != null) text.append(c);
            if (choice.getString("finish_reason") != null) finish = choice.getString("finish_reason");
        }
        assertEquals(expected, text.toString());
        assertEquals("length", finish);
        assertNotNull(usage);
        assertEquals(20, usage.getInteger("completion_tokens"));
    }

    @Test void logprobsInOpenAiShape() throws Exception {
        String req = new JsonObject(request(false, 4)).put("logprobs", true).put("top_logprobs", 2).encode();
        JsonObject choice = new JsonObject(server.post("/v1/chat/completions", req, null).body()).getJsonArray("choices").getJsonObject(0);
        JsonArray content = choice.getJsonObject("logprobs").getJsonArray("content");
        assertEquals(4, content.size());
        assertEquals(2, content.getJsonObject(0).getJsonArray("top_logprobs").size());
        assertNotNull(content.getJsonObject(0).getJsonArray("bytes"));
    }

    @Test void errorsUseOpenAiShapeAndStatus() throws Exception {
        var bad = server.post("/v1/chat/completions", "{nope", null);
        assertEquals(400, bad.statusCode());
        JsonObject err = new JsonObject(bad.body()).getJsonObject("error");
        assertEquals("invalid_request_error", err.getString("type"));
        assertTrue(err.containsKey("param"));

        var badParam = server.post("/v1/chat/completions", new JsonObject(request(false, 4)).put("top_p", 7).encode(), null);
        assertEquals(400, badParam.statusCode());
        assertTrue(new JsonObject(badParam.body()).getJsonObject("error").getString("message").contains("top_p"));

        String huge = new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("role", "user")
                .put("content", "word ".repeat(3000)))).encode();
        var overflow = server.post("/v1/chat/completions", huge, null);
        assertEquals(400, overflow.statusCode());
        assertEquals("context_length_exceeded", new JsonObject(overflow.body()).getJsonObject("error").getString("code"));
    }

    @Test void metricsScrapeHasTheServingGauges() throws Exception {
        server.post("/v1/chat/completions", request(false, 3), null);
        var r = server.get("/metrics");
        assertEquals(200, r.statusCode());
        for (String name : List.of("parley_num_requests_running ", "parley_num_requests_waiting ", "parley_generation_tokens_total ",
                "parley_prompt_tokens_total ", "parley_time_to_first_token_seconds_bucket", "parley_e2e_request_latency_seconds_count",
                "parley_request_success_total{finished_reason=\"length\"}", "parley_requests_rejected_total "))
            assertTrue(r.body().contains(name), "missing " + name);
    }

    /** What the memory footprint is made of: heap (bounded by -Xmx), mapped weights and the off-heap KV cache. */
    @Test void metricsReportHeapWeightsAndKvCacheBytes() throws Exception {
        String body = server.get("/metrics").body();
        assertEquals(Files.size(Shared.stories260K()), gauge(body, "parley_memory_model_weights_bytes"), "the GGUF file, mapped");
        long blocks = server.model.engine().stats().totalBlocks();
        EngineConfig engine = ServerConfig.forTests().engine();
        long blockBytes = PagedKvCache.blockBytes(server.model.model().config().kvShape(), engine.kvFormat(), engine.kvBlockSize());
        assertEquals(blocks * blockBytes, gauge(body, "parley_memory_kv_cache_bytes"));
        long max = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax(); // this JVM's -Xmx
        assertEquals(max, gauge(body, "parley_memory_heap_max_bytes"));
        long used = gauge(body, "parley_memory_heap_used_bytes");
        assertTrue(used > 0 && used <= max, "heap used " + used);
    }

    private static long gauge(String scrape, String name) {
        for (String line : scrape.split("\n"))
            if (line.startsWith(name + " ")) return (long) Double.parseDouble(line.substring(name.length() + 1));
        throw new AssertionError("no gauge " + name + " in /metrics");
    }
}
