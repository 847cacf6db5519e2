package dev.parley.server.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code POST /v1/completions} (OpenAI's legacy text completion) over real HTTP with the real model. */
class TextCompletionsTest {
    static TestServer server;

    @BeforeAll static void start() {
        server = TestServer.start(ServerConfig.forTests());
    }

    @AfterAll static void stop() {
        if (server != null) server.close();
    }

    private static JsonObject request(boolean stream, int maxTokens) {
        return new JsonObject().put("model", "stories260K").put("prompt", "Once upon a time").put("stream", stream)
                .put("max_tokens", maxTokens).put("temperature", 0);
    }

    @Test void nonStreamingContinuesTheRawPrompt() throws Exception {
        var r = server.post("/v1/completions", request(false, 20).encode(), null);
        assertEquals(200, r.statusCode(), r.body());
        JsonObject body = new JsonObject(r.body());
        assertEquals("text_completion", body.getString("object"));
        assertTrue(body.getString("id").startsWith("cmpl-"));
        assertEquals("stories260K", body.getString("model"));
        JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
        assertEquals(0, choice.getInteger("index"));
        assertEquals("length", choice.getString("finish_reason"));
        assertTrue(choice.containsKey("logprobs") && choice.getValue("logprobs") == null);
        assertTrue(choice.getString("text").length() > 0);
        JsonObject usage = body.getJsonObject("usage");
        assertEquals(20, usage.getInteger("completion_tokens"));
        // no chat template: the prompt is BOS + the text's own tokens
        assertEquals(server.model.formatter().rawPromptTokens("Once upon a time").length, usage.getInteger("prompt_tokens"));
        assertNotNull(usage.getJsonObject("prompt_tokens_details"));
    }

    @Test void ignoreEosGeneratesPastTheEndOfGenerationToken() throws Exception {
        int eos = server.model.model().tokenizer().eosId();
        // the bias makes end-of-generation the greedy choice at every step: without ignore_eos the reply stops at once
        JsonObject req = request(false, 6).put("logit_bias", new JsonObject().put(Integer.toString(eos), 100));
        JsonObject stopped = new JsonObject(server.post("/v1/completions", req.encode(), null).body());
        assertEquals("stop", stopped.getJsonArray("choices").getJsonObject(0).getString("finish_reason"), stopped.encode());
        var r = server.post("/v1/completions", req.copy().put("ignore_eos", true).encode(), null);
        assertEquals(200, r.statusCode(), r.body());
        JsonObject body = new JsonObject(r.body());
        assertEquals("length", body.getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
        assertEquals(6, body.getJsonObject("usage").getInteger("completion_tokens"));
    }

    @Test void streamingMatchesNonStreamingAndEndsWithDone() throws Exception {
        String expected = new JsonObject(server.post("/v1/completions", request(false, 24).encode(), null).body())
                .getJsonArray("choices").getJsonObject(0).getString("text");
        var req = request(true, 24).put("stream_options", new JsonObject().put("include_usage", true));
        var r = server.post("/v1/completions", req.encode(), null);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> events = r.body().lines().filter(l -> !l.isEmpty()).toList();
        assertEquals("data: [DONE]", events.getLast());
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonObject usage = null;
        for (String e : events.subList(0, events.size() - 1)) {
            assertTrue(e.startsWith("data: "), e);
            JsonObject chunk = new JsonObject(e.substring(6));
            assertEquals("text_completion", chunk.getString("object"));
            if (chunk.getJsonObject("usage") != null) {
                usage = chunk.getJsonObject("usage");
                assertTrue(chunk.getJsonArray("choices").isEmpty());
                continue;
            }
            JsonObject choice = chunk.getJsonArray("choices").getJsonObject(0);
            text.append(choice.getString("text"));
            if (choice.getString("finish_reason") != null) finish = choice.getString("finish_reason");
        }
        assertEquals(expected, text.toString());
        assertEquals("length", finish);
        assertNotNull(usage);
        assertEquals(24, usage.getInteger("completion_tokens"));
    }

    @Test void echoStopLogprobsAndDefaults() throws Exception {
        JsonObject echoed = new JsonObject(server.post("/v1/completions", request(false, 5).put("echo", true).put("logprobs", 2).encode(), null).body());
        JsonObject choice = echoed.getJsonArray("choices").getJsonObject(0);
        assertTrue(choice.getString("text").startsWith("Once upon a time"), choice.encode());
        JsonObject lp = choice.getJsonObject("logprobs");
        assertEquals(5, lp.getJsonArray("tokens").size());
        assertEquals(5, lp.getJsonArray("token_logprobs").size());
        assertEquals(2, lp.getJsonArray("top_logprobs").getJsonObject(0).size());
        assertEquals("Once upon a time".length(), lp.getJsonArray("text_offset").getInteger(0));

        // OpenAI's legacy default: 16 tokens when max_tokens is absent
        JsonObject dflt = new JsonObject(server.post("/v1/completions",
                new JsonObject().put("prompt", new JsonArray().add("Lily")).put("temperature", 0).encode(), null).body());
        assertTrue(dflt.getJsonObject("usage").getInteger("completion_tokens") <= 16, dflt.encode());

        String full = new JsonObject(server.post("/v1/completions", request(false, 30).encode(), null).body())
                .getJsonArray("choices").getJsonObject(0).getString("text");
        String stop = full.substring(full.length() / 2, full.length() / 2 + 2);
        JsonObject stopped = new JsonObject(server.post("/v1/completions", request(false, 30).put("stop", stop).encode(), null).body());
        JsonObject sc = stopped.getJsonArray("choices").getJsonObject(0);
        assertEquals("stop", sc.getString("finish_reason"), stopped.encode());
        assertEquals(full.substring(0, full.indexOf(stop)), sc.getString("text"));
    }

    @Test void badRequestsGetOpenAiErrors() throws Exception {
        for (JsonObject bad : List.of(new JsonObject().put("max_tokens", 3),
                new JsonObject().put("prompt", new JsonArray().add("a").add("b")),
                new JsonObject().put("prompt", "x").put("logprobs", 9),
                new JsonObject().put("prompt", "x").put("suffix", "y"),
                new JsonObject().put("prompt", "x").put("n", 0),
                new JsonObject().put("prompt", "x").put("n", 9))) {
            var r = server.post("/v1/completions", bad.encode(), null);
            assertEquals(400, r.statusCode(), bad.encode() + " -> " + r.body());
            assertEquals("invalid_request_error", new JsonObject(r.body()).getJsonObject("error").getString("type"));
        }
        var overflow = server.post("/v1/completions", new JsonObject().put("prompt", "word ".repeat(3000)).encode(), null);
        assertEquals(400, overflow.statusCode());
        assertEquals("context_length_exceeded", new JsonObject(overflow.body()).getJsonObject("error").getString("code"));
    }
}
