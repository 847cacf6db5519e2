package dev.parley.server.chat;

import static org.junit.jupiter.api.Assertions.*;

import dev.parley.inference.testing.Shared;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.ReasoningFormat;
import dev.parley.server.model.ServingModel;
import dev.parley.server.testing.TestServer;
import dev.parley.server.testing.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Thinking split from the answer through the real server, on stories260K with real reasoning chat templates. The tiny
 * model never writes {@code <think>} by itself, so its sampling is constrained by a GBNF grammar (the request's
 * {@code grammar} field, through the engine's token constraints) to the shape a reasoning model writes: the tags then
 * come out of the model's real vocabulary and the real decoding path, as they would from Qwen3 or DeepSeek-R1.
 */
class ReasoningRepliesTest {
    /** What a model that opens its own thinking writes (Qwen3). */
    private static final String THINK_THEN_ANSWER = "root ::= \"<think>\\n\" [a-z ]{5,30} \"</think>\\n\\n\" [a-z ]{5,30}";
    /** What a model whose template pre-filled {@code <think>} writes (DeepSeek-R1): it only closes the block. */
    private static final String CLOSE_THEN_ANSWER = "root ::= [a-z ]{5,30} \"</think>\\n\\n\" [a-z ]{5,30}";
    private static final String PLAIN = "root ::= [a-z ]{5,30}";

    /** Serves the Qwen3-style template (shared by the tests that use it). */
    private static TestServer qwen3;

    @BeforeAll static void start() throws Exception {
        qwen3 = serve(qwen3Style());
    }

    @AfterAll static void stop() {
        if (qwen3 != null) qwen3.close();
    }

    private static TestServer serve(String template) {
        return TestServer.start(ServerConfig.forTests(), Shared.stories260K(), new ServingModel.Options().chatTemplate(template));
    }

    /** A Qwen3-style template: the model opens {@code <think>} itself; enable_thinking=false pre-fills an empty block. */
    private static String qwen3Style() throws Exception {
        return Files.readString(Path.of(ReasoningRepliesTest.class.getResource("/reasoning/qwen3-style.jinja").toURI()));
    }

    private static JsonObject chat(String grammar) {
        return new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hello")))
                .put("temperature", 0).put("max_tokens", 80).put("grammar", grammar);
    }

    private record Split(String reasoning, String content) {}

    private static Split nonStreaming(TestServer server, JsonObject request) throws Exception {
        var r = server.post("/v1/chat/completions", request.encode(), null);
        assertEquals(200, r.statusCode(), r.body());
        JsonObject message = new JsonObject(r.body()).getJsonArray("choices").getJsonObject(0).getJsonObject("message");
        return new Split(message.getString("reasoning_content"), message.getString("content"));
    }

    private static Split streaming(TestServer server, JsonObject request) throws Exception {
        var r = server.post("/v1/chat/completions", request.copy().put("stream", true).encode(), null);
        assertEquals(200, r.statusCode(), r.body());
        StringBuilder reasoning = new StringBuilder(), content = new StringBuilder();
        for (String line : r.body().lines().filter(l -> l.startsWith("data: {")).toList()) {
            JsonArray choices = new JsonObject(line.substring(6)).getJsonArray("choices");
            if (choices.isEmpty()) continue;
            JsonObject delta = choices.getJsonObject(0).getJsonObject("delta");
            if (delta.getString("reasoning_content") != null) reasoning.append(delta.getString("reasoning_content"));
            if (delta.getString("content") != null) content.append(delta.getString("content"));
        }
        return new Split(reasoning.isEmpty() ? null : reasoning.toString(), content.toString());
    }

    private static Split websocket(TestServer server, String grammar, JsonObject kwargs) throws Exception {
        try (WsClient ws = WsClient.connect(server.vertx, server.port, "/v1/chat/ws")) {
            ws.next(); // hello
            JsonObject params = new JsonObject().put("temperature", 0).put("max_tokens", 80).put("grammar", grammar);
            if (kwargs != null) params.put("chat_template_kwargs", kwargs);
            ws.send(new JsonObject().put("type", "chat").put("id", "r1").put("params", params)
                    .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hello"))));
            WsClient.Result result = ws.awaitEnd("r1");
            assertNull(result.error, () -> result.error.encode());
            return new Split(result.reasoning.isEmpty() ? null : result.reasoning.toString(), result.text.toString());
        }
    }

    private static void assertSplit(Split split) {
        assertNotNull(split.reasoning(), "no reasoning: " + split);
        assertTrue(split.reasoning().matches("[a-z ]{5,30}"), split.toString());
        assertTrue(split.content().matches("[a-z ]{5,30}"), split.toString());
    }

    @Test void aModelThatOpensItsThinkingGetsItSplitOnBothApis() throws Exception {
        TestServer server = qwen3;
        assertEquals(ReasoningFormat.DEEPSEEK, server.model.reasoningFormat()); // the template mentions <think>
        Split whole = nonStreaming(server, chat(THINK_THEN_ANSWER));
        assertSplit(whole);
        assertEquals(whole, streaming(server, chat(THINK_THEN_ANSWER)));
        assertEquals(whole, websocket(server, THINK_THEN_ANSWER, null));
    }

    @Test void aTemplateThatPrefillsThinkingMakesTheFirstPartReasoning() throws Exception {
        String deepSeekR1 = Files.readString(Shared.path("oracle/templates/deepseek-ai-DeepSeek-R1-Distill-Llama-8B-55754f.jinja"));
        try (TestServer server = serve(deepSeekR1)) {
            Split whole = nonStreaming(server, chat(CLOSE_THEN_ANSWER));
            assertSplit(whole);
            assertEquals(whole, streaming(server, chat(CLOSE_THEN_ANSWER)));
            assertEquals(whole, websocket(server, CLOSE_THEN_ANSWER, null));
        }
    }

    @Test void chatTemplateKwargsReachTheTemplate() throws Exception {
        TestServer server = qwen3;
        JsonObject off = new JsonObject().put("enable_thinking", false);
        var thinking = new JsonObject(server.post("/v1/chat/completions", chat(PLAIN).encode(), null).body());
        var r = server.post("/v1/chat/completions", chat(PLAIN).put("chat_template_kwargs", off).encode(), null);
        assertEquals(200, r.statusCode(), r.body());
        JsonObject direct = new JsonObject(r.body());
        // the template wrote the empty <think></think> block into the prompt: more prompt tokens, an answer only
        assertTrue(direct.getJsonObject("usage").getInteger("prompt_tokens") > thinking.getJsonObject("usage").getInteger("prompt_tokens"));
        JsonObject message = direct.getJsonArray("choices").getJsonObject(0).getJsonObject("message");
        assertNull(message.getString("reasoning_content"));
        assertTrue(message.getString("content").matches("[a-z ]{5,30}"), message.encode());
        Split ws = websocket(server, PLAIN, off);
        assertEquals(new Split(null, message.getString("content")), ws);

        var reserved = server.post("/v1/chat/completions", chat(PLAIN).put("chat_template_kwargs",
                new JsonObject().put("messages", List.of())).encode(), null);
        assertEquals(400, reserved.statusCode(), reserved.body());
        assertTrue(reserved.body().contains("chat_template_kwargs cannot set 'messages'"), reserved.body());
    }

    @Test void reasoningFormatNoneLeavesTheTextAlone() throws Exception {
        try (TestServer server = TestServer.start(ServerConfig.forTests(), Shared.stories260K(),
                new ServingModel.Options().chatTemplate(qwen3Style()).reasoningFormat(ReasoningFormat.NONE))) {
            Split whole = nonStreaming(server, chat(THINK_THEN_ANSWER));
            assertNull(whole.reasoning());
            assertTrue(whole.content().startsWith("<think>\n") && whole.content().contains("</think>"), whole.content());
        }
    }
}
