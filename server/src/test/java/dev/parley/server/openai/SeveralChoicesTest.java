package dev.parley.server.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's {@code n} over real HTTP with the real model: n answers to one prompt (prefilled once, forked in the KV
 * cache), streamed with each chunk's choice index so the OpenAI SDK's accumulator rebuilds all of them, or returned
 * as n choices; usage counts the prompt once.
 */
class SeveralChoicesTest {
    static TestServer server;

    @BeforeAll static void start() {
        server = TestServer.start(ServerConfig.forTests());
    }

    @AfterAll static void stop() {
        if (server != null) server.close();
    }

    private static ChatCompletionCreateParams.Builder chat(long seed) {
        return ChatCompletionCreateParams.builder().model("stories260K").addUserMessage("Once upon a time")
                .temperature(1.0).seed(seed).maxCompletionTokens(24);
    }

    @Test void theSdkRebuildsThreeStreamedChoicesEachEqualToASingleRequestWithItsSeed() throws Exception {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(server.url("/v1")).apiKey("unused").build();
        long seed = 11;
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        Set<Long> indexes = new HashSet<>();
        CompletionUsage usage = null;
        ChatCompletionCreateParams params = chat(seed).n(3)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
                accumulator.accumulate(chunk);
                chunk.choices().forEach(c -> indexes.add(c.index()));
                if (chunk.usage().isPresent()) usage = chunk.usage().get();
            }
        }
        assertEquals(Set.of(0L, 1L, 2L), indexes, "chunks of every answer, each with its index");
        ChatCompletion streamed = accumulator.chatCompletion();
        assertEquals(3, streamed.choices().size());
        int completionTokens = 0;
        Set<String> texts = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            ChatCompletion.Choice choice = streamed.choices().get(i);
            assertEquals(i, choice.index());
            String text = choice.message().content().orElseThrow();
            texts.add(text);
            // answer i samples with seed + i: the same as a request for one answer with that seed
            ChatCompletion single = client.chat().completions().create(chat(seed + i).build());
            assertEquals(single.choices().getFirst().message().content().orElseThrow(), text, "answer " + i);
            assertEquals(single.choices().getFirst().finishReason(), choice.finishReason(), "answer " + i);
            completionTokens += (int) single.usage().orElseThrow().completionTokens();
            if (i == 0) assertEquals(single.usage().orElseThrow().promptTokens(), usage.promptTokens(), "the prompt counts once");
        }
        assertTrue(texts.size() > 1, "different seeds, different answers: " + texts);
        assertEquals(completionTokens, usage.completionTokens(), "the answers' tokens summed");
        assertEquals(usage.promptTokens() + completionTokens, usage.totalTokens());
    }

    @Test void nonStreamingReturnsNChoicesAndUsageCountsThePromptOnce() throws Exception {
        JsonObject req = new JsonObject().put("model", "stories260K").put("max_tokens", 16).put("temperature", 0).put("n", 4)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "The little dog")));
        var r = server.post("/v1/chat/completions", req.encode(), null);
        assertEquals(200, r.statusCode(), r.body());
        JsonObject body = new JsonObject(r.body());
        JsonArray choices = body.getJsonArray("choices");
        assertEquals(4, choices.size());
        var single = new JsonObject(server.post("/v1/chat/completions", req.copy().put("n", 1).encode(), null).body());
        String greedy = single.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content");
        for (int i = 0; i < 4; i++) {
            JsonObject choice = choices.getJsonObject(i);
            assertEquals(i, choice.getInteger("index"));
            assertEquals(greedy, choice.getJsonObject("message").getString("content"), "greedy answers are all the same");
            assertEquals("length", choice.getString("finish_reason"));
        }
        JsonObject usage = body.getJsonObject("usage");
        assertEquals(single.getJsonObject("usage").getInteger("prompt_tokens"), usage.getInteger("prompt_tokens"));
        assertEquals(4 * 16, usage.getInteger("completion_tokens"));
        assertEquals(usage.getInteger("prompt_tokens") + 4 * 16, usage.getInteger("total_tokens"));
    }

    @Test void textCompletionsStreamEveryChoiceWithItsIndex() throws Exception {
        JsonObject req = new JsonObject().put("model", "stories260K").put("prompt", "Once upon a time").put("max_tokens", 12)
                .put("temperature", 1).put("seed", 3).put("n", 2).put("stream", true);
        var r = server.post("/v1/completions", req.encode(), null);
        assertEquals(200, r.statusCode(), r.body());
        StringBuilder[] texts = {new StringBuilder(), new StringBuilder()};
        List<String> finishes = new ArrayList<>(List.of("", ""));
        for (String line : r.body().split("\n")) {
            if (!line.startsWith("data: {")) continue;
            for (Object o : new JsonObject(line.substring(6)).getJsonArray("choices")) {
                JsonObject choice = (JsonObject) o;
                int index = choice.getInteger("index");
                texts[index].append(choice.getString("text"));
                if (choice.getString("finish_reason") != null) finishes.set(index, choice.getString("finish_reason"));
            }
        }
        assertTrue(r.body().endsWith("data: [DONE]\n\n"));
        for (int i = 0; i < 2; i++) {
            var single = new JsonObject(server.post("/v1/completions", req.copy().put("n", 1).put("stream", false)
                    .put("seed", 3 + i).encode(), null).body());
            assertEquals(single.getJsonArray("choices").getJsonObject(0).getString("text"), texts[i].toString(), "answer " + i);
            assertEquals("length", finishes.get(i));
        }
        assertNotEquals(texts[0].toString(), texts[1].toString());
    }

    @Test void aClientThatLeavesCancelsEveryAnswer() throws Exception {
        JsonObject req = new JsonObject().put("model", "stories260K").put("prompt", "Once upon a time").put("max_tokens", 5000)
                .put("ignore_eos", true).put("n", 3).put("stream", true);
        double cancelledBefore = cancelled();
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.url("/v1/completions")))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(req.encode())).build();
        HttpResponse<java.io.InputStream> r = server.http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        Set<Integer> seen = new HashSet<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            // read until every answer has streamed text: all three are running
            for (String line; seen.size() < 3 && (line = lines.readLine()) != null; ) {
                if (!line.startsWith("data: {")) continue;
                JsonObject choice = new JsonObject(line.substring(6)).getJsonArray("choices").getJsonObject(0);
                if (!choice.getString("text").isEmpty()) seen.add(choice.getInteger("index"));
            }
        }
        assertEquals(Set.of(0, 1, 2), seen);
        // closing the stream closes the connection: the engine cancels all three answers
        server.awaitEngineIdle(Duration.ofSeconds(30));
        assertEquals(cancelledBefore + 3, cancelled(), "every answer ended as cancelled");
    }

    private static double cancelled() {
        String prefix = "parley_request_success_total{finished_reason=\"cancelled\"}";
        for (String line : server.server.metrics().scrape().split("\n"))
            if (line.startsWith(prefix)) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        throw new AssertionError("no metric " + prefix);
    }

    @Test void nOutOfRangeIsABadRequest() throws Exception {
        for (int n : new int[] {0, -1, 9}) {
            JsonObject chat = new JsonObject().put("model", "stories260K").put("n", n)
                    .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Hi")));
            var r = server.post("/v1/chat/completions", chat.encode(), null);
            assertEquals(400, r.statusCode(), r.body());
            JsonObject error = new JsonObject(r.body()).getJsonObject("error");
            assertEquals("invalid_request_error", error.getString("type"));
            assertTrue(error.getString("message").contains("n must be in [1, 8]"), error.getString("message"));
            var text = server.post("/v1/completions", new JsonObject().put("prompt", "x").put("n", n).encode(), null);
            assertEquals(400, text.statusCode(), text.body());
        }
    }
}
