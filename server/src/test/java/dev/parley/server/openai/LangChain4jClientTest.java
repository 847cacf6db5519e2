package dev.parley.server.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A real third-party OpenAI client, LangChain4j's OpenAI chat models, against /v1/chat/completions. */
class LangChain4jClientTest {
    static TestServer server;

    @BeforeAll static void start() {
        server = TestServer.start(ServerConfig.forTests().toBuilder().apiKeys(java.util.Set.of("lc4j-key")).build());
    }

    @AfterAll static void stop() {
        if (server != null) server.close();
    }

    private static String baseUrl() { return server.url("/v1"); }

    private static OpenAiChatModel blocking() {
        return OpenAiChatModel.builder().baseUrl(baseUrl()).apiKey("lc4j-key").modelName("stories260K")
                .temperature(0.0).maxTokens(24).timeout(Duration.ofSeconds(30)).build();
    }

    @Test void nonStreamingChat() {
        ChatResponse r = blocking().chat(SystemMessage.from("You tell stories."), UserMessage.from("Once upon a time"));
        assertFalse(r.aiMessage().text().isEmpty());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(24, r.tokenUsage().outputTokenCount());
        assertTrue(r.tokenUsage().inputTokenCount() > 0);
        assertEquals("stories260K", r.modelName());
    }

    @Test void streamingChatMatchesNonStreaming() throws Exception {
        String expected = blocking().chat(UserMessage.from("Once upon a time")).aiMessage().text();
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(baseUrl()).apiKey("lc4j-key")
                .modelName("stories260K").temperature(0.0).maxTokens(24).timeout(Duration.ofSeconds(30)).build();
        List<String> parts = new CopyOnWriteArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(List.of(UserMessage.from("Once upon a time")), new StreamingChatResponseHandler() {
            @Override public void onPartialResponse(String partial) { parts.add(partial); }
            @Override public void onCompleteResponse(ChatResponse response) { done.complete(response); }
            @Override public void onError(Throwable error) { done.completeExceptionally(error); }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertTrue(parts.size() > 1, "streamed in several parts: " + parts);
        assertEquals(expected, String.join("", parts));
        assertEquals(expected, r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
    }

    @Test void aWrongKeyIsAnAuthenticationError() {
        var model = OpenAiChatModel.builder().baseUrl(baseUrl()).apiKey("wrong").modelName("stories260K").maxTokens(2).maxRetries(0).build();
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> model.chat("hi"));
        assertTrue(String.valueOf(e.getMessage()).contains("API key"), String.valueOf(e));
    }
}
