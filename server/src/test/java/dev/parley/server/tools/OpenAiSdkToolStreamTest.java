package dev.parley.server.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import dev.parley.inference.constrain.JsonReference;
import dev.parley.inference.testing.Shared;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI Java SDK's stream accumulator rebuilds streamed tool calls: a real Llama-3 vocabulary model of the
 * shared oracle served with the real Llama 3.1 chat template (tool-aware: the tools go into the prompt and the call
 * comes back in its {@code {"name", "parameters"}} syntax), several seeds at temperature 1, forced calls
 * ({@code required}, one call: with parallel calls allowed this random-weight model goes on calling until
 * {@code max_tokens}); every rebuilt call names the function and its arguments validate against its schema.
 */
class OpenAiSdkToolStreamTest {
    static TestServer server;

    static final Map<String, Object> SCHEMA = Map.of("type", "object",
            "properties", Map.of("city", Map.of("type", "string", "enum", List.of("Oslo", "Paris", "Lima")),
                    "days", Map.of("type", "integer", "enum", List.of(1, 2, 3)),
                    "metric", Map.of("type", "boolean")),
            "required", List.of("city", "days", "metric"), "additionalProperties", false);

    @BeforeAll static void start() throws Exception {
        String template = Files.readString(Shared.path("oracle/templates/meta-llama-Llama-3.1-8B-Instruct-f15c05.jinja"));
        server = TestServer.start(ServerConfig.forTests(), Shared.path("oracle/models/llama3-bpe-f32.gguf"), template);
    }

    @AfterAll static void stop() {
        if (server != null) server.close();
    }

    @Test void streamedCallsAreRebuiltAndTheirArgumentsValidate() throws Exception {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(server.url("/v1")).apiKey("unused").build();
        FunctionParameters.Builder parameters = FunctionParameters.builder();
        SCHEMA.forEach((k, v) -> parameters.putAdditionalProperty(k, JsonValue.from(v)));
        ChatCompletionFunctionTool tool = ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder()
                .name("forecast").description("Weather forecast").parameters(parameters.build()).build()).build();
        JsonReference schema = new JsonReference(new io.vertx.core.json.JsonObject(SCHEMA).encode());
        for (long seed = 1; seed <= 2; seed++) {
            ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("llama3-bpe-f32")
                    .addUserMessage("Forecast for Lima?").addTool(tool).toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED)
                    .parallelToolCalls(false)
                    .temperature(1.0).seed(seed).maxCompletionTokens(240).build();
            ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
            int chunks = 0;
            try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
                for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
                    accumulator.accumulate(chunk);
                    chunks++;
                }
            }
            ChatCompletion completion = accumulator.chatCompletion();
            ChatCompletion.Choice choice = completion.choices().getFirst();
            assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason(), "seed " + seed);
            List<ChatCompletionMessageFunctionToolCall> calls = choice.message().toolCalls().orElseThrow().stream()
                    .map(c -> c.asFunction()).toList();
            assertEquals(1, calls.size(), "seed " + seed);
            assertEquals("forecast", calls.getFirst().function().name());
            String arguments = calls.getFirst().function().arguments();
            assertTrue(schema.valid(arguments), "seed " + seed + ": " + arguments);
            assertTrue(chunks > 4, "streamed in pieces: " + chunks);
        }
    }
}
