package dev.parley.server.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parley.inference.template.ChatTemplate;
import dev.parley.inference.testing.Shared;
import dev.parley.server.model.ChatMessage;
import dev.parley.server.model.ToolCall;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conversations with tools (OpenAI's message shapes: a call's arguments as a JSON string, a tool result answering
 * it by id) through the real tool-aware templates of the shared oracle (Llama 3.1/3.2, Hermes 2 Pro/3, Mistral Nemo
 * and Large), compared exactly with Python jinja2's rendering in Hugging Face's setup
 * ({@code src/test/resources/tools/make_tool_renderings.py} made {@code tool-renderings.json}).
 */
class ToolTemplateRenderingTest {
    private static JsonObject resource(String name) {
        try (InputStream in = ToolTemplateRenderingTest.class.getResourceAsStream("/tools/" + name)) {
            return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Stream<Arguments> renders() {
        List<Arguments> out = new ArrayList<>();
        for (Object r : resource("tool-renderings.json").getJsonArray("renders")) {
            JsonObject render = (JsonObject) r;
            out.add(Arguments.of(render.getString("file"), render.getString("conversation"), render));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}") @MethodSource("renders")
    void rendersAsJinja2Does(String file, String conversation, JsonObject render) throws IOException {
        JsonObject spec = resource("tool-conversations.json");
        ToolRequest tools = ToolRequest.parse(spec.getJsonArray("tools").getList(), "auto", null, "");
        List<ChatMessage> messages = messages(spec.getJsonObject("conversations").getJsonArray(conversation));
        String source = Files.readString(Shared.path("oracle/templates/" + file));
        String rendered = ChatTemplate.compile(source).render(ChatMessage.templateData(messages), true, render.getString("bos_token"),
                render.getString("eos_token"), Instant.parse("2026-01-02T03:04:05Z"), Map.of("tools", ToolPrompt.templateTools(tools)));
        assertEquals(render.getString("expected"), rendered);
    }

    /** OpenAI-shaped messages, read the way the API reads them. */
    static List<ChatMessage> messages(JsonArray json) {
        List<ChatMessage> out = new ArrayList<>();
        for (Object o : json) {
            JsonObject m = (JsonObject) o;
            List<ToolCall> calls = new ArrayList<>();
            JsonArray toolCalls = m.getJsonArray("tool_calls");
            if (toolCalls != null) {
                for (Object c : toolCalls) {
                    JsonObject call = (JsonObject) c;
                    JsonObject function = call.getJsonObject("function");
                    calls.add(new ToolCall(call.getString("id"), function.getString("name"), function.getString("arguments")));
                }
            }
            out.add(new ChatMessage(m.getString("role"), m.getString("content"), calls, m.getString("tool_call_id")));
        }
        return out;
    }
}
