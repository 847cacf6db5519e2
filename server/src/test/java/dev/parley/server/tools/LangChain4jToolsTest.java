package dev.parley.server.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LangChain4j's AI Services against a running Parley (stories260K: no chat template of its own, so ChatML with the
 * default tool prompt), the way an app uses them: a {@code @Tool} method is called by the model, LangChain4j runs it,
 * sends the result back and returns the model's final answer. The tiny model cannot decide to call a tool by itself,
 * so the app forces the first call ({@code tool_choice: required}, through the service's chat-request transformer)
 * and lets the model answer freely once the result is in ({@code none}): the forced call is grammar-constrained, so
 * it always parses into a call LangChain4j can run.
 */
class LangChain4jToolsTest {
    static TestServer server;

    @BeforeAll static void start() {
        server = TestServer.start(ServerConfig.forTests());
    }

    @AfterAll static void stop() {
        if (server != null) server.close();
    }

    enum City { OSLO, PARIS, LIMA }

    static final class WeatherTools {
        final List<City> calls = new CopyOnWriteArrayList<>();

        @Tool("Current temperature in a city, in degrees Celsius")
        int temperature(@P("the city") City city) {
            calls.add(city);
            return city.ordinal() * 10 + 7;
        }
    }

    interface Assistant {
        Result<String> chat(String question);
    }

    /** What an AI Service returns typed: LangChain4j asks for it with a strict json_schema response format. */
    record Forecast(City city, boolean sunny) {}

    interface Forecaster {
        Forecast forecast(String question);
    }

    /** Forces a call until a tool result is in the conversation; then the model answers in text. */
    static ChatRequest forceFirstCall(ChatRequest request) {
        boolean answered = request.messages().getLast() instanceof ToolExecutionResultMessage;
        return ChatRequest.builder().messages(request.messages()).parameters(request.parameters()
                .overrideWith(ChatRequestParameters.builder().toolChoice(answered ? ToolChoice.NONE : ToolChoice.REQUIRED).build())).build();
    }

    @Test void aToolIsCalledRunAndAnsweredThrough() {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.url("/v1")).apiKey("unused").modelName("stories260K")
                .temperature(0.0).maxTokens(120).timeout(Duration.ofSeconds(60)).build();
        WeatherTools tools = new WeatherTools();
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(model).tools(tools)
                .chatRequestTransformer(LangChain4jToolsTest::forceFirstCall).build();
        Result<String> result = assistant.chat("How warm is it in Paris?");
        assertEquals(1, tools.calls.size(), "the tool ran once: " + tools.calls);
        assertEquals(1, result.toolExecutions().size());
        String arguments = result.toolExecutions().getFirst().request().arguments();
        // the one argument, under the parameter's name as LangChain4j declared it (arg0 without javac -parameters)
        io.vertx.core.json.JsonObject parsed = new io.vertx.core.json.JsonObject(arguments);
        assertEquals(1, parsed.size(), arguments);
        assertEquals(tools.calls.getFirst().name(), parsed.getValue(parsed.fieldNames().iterator().next()), arguments);
        assertEquals(String.valueOf(tools.calls.getFirst().ordinal() * 10 + 7), result.toolExecutions().getFirst().result());
        assertFalse(result.content() == null || result.content().isBlank(), "a final text answer");
    }

    @Test void anAiServiceReturningARecordGetsAParsedInstance() {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.url("/v1")).apiKey("unused").modelName("stories260K")
                .supportedCapabilities(Capability.RESPONSE_FORMAT_JSON_SCHEMA).strictJsonSchema(true)
                .temperature(1.0).seed(7).maxTokens(150).timeout(Duration.ofSeconds(60)).build();
        Forecaster forecaster = AiServices.create(Forecaster.class, model);
        Forecast forecast = forecaster.forecast("Will it be sunny in Lima tomorrow?");
        assertTrue(forecast.city() != null, String.valueOf(forecast));
    }
}
