package dev.parley.server.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.constrain.JsonReference;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import dev.parley.server.testing.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tool calling through a real server (stories260K, whose GGUF has no chat template: ChatML plus the default tool
 * prompt, Hermes syntax) over real sockets: requests with tools and tool turns are rendered and answered, and every
 * malformed tool field is a 400 / WebSocket bad_request naming it, leaving the server serving.
 */
class ToolCallingApiTest {
    static TestServer server;

    @BeforeAll static void start() {
        server = TestServer.start(ServerConfig.forTests());
    }

    @AfterAll static void stop() {
        if (server != null) server.close();
    }

    static final JsonArray TOOLS = new JsonArray("""
            [{"type":"function","function":{"name":"get_weather","description":"Current weather in a city",
              "parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":12},
              "unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city","unit"],"additionalProperties":false}}},
             {"type":"function","function":{"name":"add","parameters":{"type":"object","properties":{
              "a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}}}]""");

    /** The independent check of call arguments: networknt's validator against get_weather's schema. */
    static final JsonReference WEATHER = new JsonReference(TOOLS.getJsonObject(0).getJsonObject("function").getJsonObject("parameters").encode());

    static JsonObject user(String text) {
        return new JsonObject().put("role", "user").put("content", text);
    }

    static JsonObject request(JsonArray messages) {
        return new JsonObject().put("model", "stories260K").put("messages", messages).put("temperature", 0).put("max_tokens", 6);
    }

    static JsonObject post(JsonObject body, int expectedStatus) throws Exception {
        HttpResponse<String> r = server.post("/v1/chat/completions", body.encode(), null);
        assertEquals(expectedStatus, r.statusCode(), r.body());
        return new JsonObject(r.body());
    }

    static JsonArray roundTrip(String callId, String answeredId) {
        return new JsonArray().add(user("Weather in Oslo?"))
                .add(new JsonObject().put("role", "assistant").putNull("content").put("tool_calls", new JsonArray().add(
                        new JsonObject().put("id", callId).put("type", "function").put("function", new JsonObject()
                                .put("name", "get_weather").put("arguments", "{\"city\": \"Oslo\", \"unit\": \"celsius\"}")))))
                .add(new JsonObject().put("role", "tool").put("tool_call_id", answeredId).put("content", "{\"temperature\": 7}"));
    }

    @Test void toolsAndToolTurnsAreRenderedIntoThePrompt() throws Exception {
        JsonObject plain = post(request(new JsonArray().add(user("Weather in Oslo?"))), 200);
        JsonObject withTools = post(request(new JsonArray().add(user("Weather in Oslo?"))).put("tools", TOOLS).put("tool_choice", "none"), 200);
        assertEquals(plain.getJsonObject("usage").getInteger("prompt_tokens"), withTools.getJsonObject("usage").getInteger("prompt_tokens"),
                "tool_choice none: the tools are not rendered");
        JsonObject auto = post(request(new JsonArray().add(user("Weather in Oslo?"))).put("tools", TOOLS), 200);
        int promptWithTools = auto.getJsonObject("usage").getInteger("prompt_tokens");
        assertTrue(promptWithTools > plain.getJsonObject("usage").getInteger("prompt_tokens") + 100,
                "the default tool prompt describes the tools: " + promptWithTools);
        JsonObject afterCall = post(request(roundTrip("call_1", "call_1")).put("tools", TOOLS), 200);
        assertTrue(afterCall.getJsonObject("usage").getInteger("prompt_tokens") > promptWithTools, "the call and its result are in the prompt");
        JsonObject message = afterCall.getJsonArray("choices").getJsonObject(0).getJsonObject("message");
        assertEquals("assistant", message.getString("role"));
    }

    @Test void malformedToolFieldsAreBadRequestsNamingTheField() throws Exception {
        JsonArray hi = new JsonArray().add(user("hi"));
        expect400(request(hi).put("tools", TOOLS).put("tool_choice", new JsonObject().put("type", "function")
                .put("function", new JsonObject().put("name", "send_email"))), "tool_choice names function 'send_email', which is not in tools");
        expect400(request(hi).put("tool_choice", "required"), "tool_choice is required but no tools were given");
        expect400(request(hi).put("tools", TOOLS).put("tool_choice", "always"), "tool_choice must be none, auto, required");
        expect400(request(hi).put("tools", new JsonArray().add(new JsonObject().put("type", "retrieval"))), "tools[0].type must be \"function\"");
        expect400(request(hi).put("tools", new JsonArray().add(new JsonObject().put("type", "function")
                .put("function", new JsonObject().put("name", "bad name")))), "tools[0].function.name must be");
        expect400(request(hi).put("tools", new JsonArray().add(new JsonObject().put("type", "function")
                .put("function", new JsonObject().put("name", "f").put("parameters", "x")))), "tools[0].function.parameters must be a JSON Schema object");
        expect400(request(hi).put("tools", new JsonArray().add(TOOLS.getJsonObject(1)).add(TOOLS.getJsonObject(1))), "a second function named 'add'");
        expect400(request(hi).put("tools", "get_weather"), "tools must be an array");
        expect400(request(roundTrip("call_1", "call_2")), "messages[2].tool_call_id 'call_2' answers no tool call of an earlier assistant message");
        JsonArray noId = roundTrip("call_1", "call_1");
        noId.getJsonObject(2).remove("tool_call_id");
        expect400(request(noId), "messages[2].tool_call_id is missing");
        JsonArray badArguments = roundTrip("call_1", "call_1");
        badArguments.getJsonObject(1).getJsonArray("tool_calls").getJsonObject(0).getJsonObject("function").put("arguments", "Oslo");
        expect400(request(badArguments), "messages[1].tool_calls[0].function.arguments must be a JSON object in a string");
        expect400(request(new JsonArray().add(user("hi").put("tool_calls", new JsonArray().add(new JsonObject().put("id", "c")
                .put("function", new JsonObject().put("name", "add").put("arguments", "{}")))))), "only assistant messages carry tool_calls");
        // nothing disturbed: the server still answers
        JsonObject ok = post(request(hi).put("tools", TOOLS), 200);
        assertNull(ok.getJsonObject("error"));
    }

    private static void expect400(JsonObject body, String message) throws Exception {
        JsonObject error = post(body, 400).getJsonObject("error");
        assertTrue(error.getString("message").contains(message), error.encode());
        assertEquals("invalid_request_error", error.getString("type"));
    }

    @Test void webSocketBadToolFieldsAreBadRequestsAndTheSocketServesOn() throws Exception {
        try (WsClient c = WsClient.connect(server.vertx, server.port, "/v1/chat/ws")) {
            assertEquals("hello", c.next().getString("type"));
            c.send(new JsonObject().put("type", "chat").put("id", "r1").put("messages", new JsonArray().add(user("hi")))
                    .put("params", new JsonObject().put("tools", TOOLS).put("tool_choice", new JsonObject().put("type", "function")
                            .put("function", new JsonObject().put("name", "nope")))));
            WsClient.Result r1 = c.awaitEnd("r1");
            assertEquals("bad_request", r1.error.getString("code"));
            assertTrue(r1.error.getString("message").contains("params.tool_choice names function 'nope', which is not in params.tools"), r1.error.encode());
            c.send(new JsonObject().put("type", "chat").put("id", "r2").put("messages", new JsonArray().add(user("hi"))
                    .add(new JsonObject().put("role", "tool").put("tool_call_id", "call_9").put("content", "42"))));
            WsClient.Result r2 = c.awaitEnd("r2");
            assertEquals("bad_request", r2.error.getString("code"));
            assertTrue(r2.error.getString("message").contains("messages[1].tool_call_id 'call_9' answers no tool call"), r2.error.encode());
            c.send(new JsonObject().put("type", "chat").put("id", "r3").put("messages", new JsonArray().add(user("hi")))
                    .put("params", new JsonObject().put("tools", TOOLS).put("temperature", 0).put("max_tokens", 4)));
            WsClient.Result r3 = c.awaitEnd("r3");
            assertEquals("done", r3.done.getString("type"), String.valueOf(r3.error));
        }
    }

    @Test void forcedCallsAlwaysParseAndStreamAsOpenAiDoes() throws Exception {
        JsonObject named = new JsonObject().put("type", "function").put("function", new JsonObject().put("name", "get_weather"));
        for (int seed = 1; seed <= 3; seed++) {
            JsonObject body = request(new JsonArray().add(user("Weather in Oslo?"))).put("tools", TOOLS).put("tool_choice", named)
                    .put("temperature", 1).put("seed", seed).put("max_tokens", 160);
            JsonObject reply = post(body, 200);
            JsonObject choice = reply.getJsonArray("choices").getJsonObject(0);
            assertEquals("tool_calls", choice.getString("finish_reason"), reply.encode());
            JsonObject call = choice.getJsonObject("message").getJsonArray("tool_calls").getJsonObject(0);
            assertEquals("get_weather", call.getJsonObject("function").getString("name"));
            assertTrue(call.getString("id").startsWith("call_"));
            assertTrue(WEATHER.valid(call.getJsonObject("function").getString("arguments")), call.encode());
            assertTrue(choice.getJsonObject("message").getValue("content") == null, "a call only: content null");
        }
        // streamed: the SSE deltas rebuild the same call as the whole reply
        // required with parallel calls lets a tiny model go on calling until max_tokens; one call ends the reply
        JsonObject body = request(new JsonArray().add(user("Weather in Oslo?"))).put("tools", TOOLS).put("tool_choice", "required")
                .put("parallel_tool_calls", false).put("max_tokens", 160);
        JsonObject whole = post(body, 200).getJsonArray("choices").getJsonObject(0).getJsonObject("message").getJsonArray("tool_calls").getJsonObject(0);
        HttpResponse<String> sse = server.post("/v1/chat/completions", body.copy().put("stream", true).encode(), null);
        String name = null, arguments = "", finish = null;
        int pieces = 0;
        for (String line : sse.body().split("\n")) {
            if (!line.startsWith("data: {")) continue;
            JsonObject chunk = new JsonObject(line.substring(6));
            JsonObject c = chunk.getJsonArray("choices").getJsonObject(0);
            if (c.getString("finish_reason") != null) finish = c.getString("finish_reason");
            JsonArray calls = c.getJsonObject("delta").getJsonArray("tool_calls");
            if (calls == null) continue;
            JsonObject piece = calls.getJsonObject(0);
            assertEquals(0, piece.getInteger("index"));
            if (piece.getString("id") != null) {
                assertNull(name, "name once");
                name = piece.getJsonObject("function").getString("name");
            }
            arguments += piece.getJsonObject("function").getString("arguments");
            pieces++;
        }
        assertEquals("tool_calls", finish);
        assertEquals(whole.getJsonObject("function").getString("name"), name);
        assertEquals(whole.getJsonObject("function").getString("arguments"), arguments, "greedy: stream and whole agree");
        assertTrue(pieces > 2, "arguments in pieces: " + pieces);
    }

    @Test void webSocketCallThenToolResultOnTheSameSession() throws Exception {
        try (WsClient c = WsClient.connect(server.vertx, server.port, "/v1/chat/ws")) {
            assertEquals("hello", c.next().getString("type"));
            c.send(new JsonObject().put("type", "chat").put("id", "t1").put("messages", new JsonArray().add(user("Weather in Oslo?")))
                    .put("params", new JsonObject().put("tools", TOOLS).put("tool_choice", "required").put("parallel_tool_calls", false)
                            .put("temperature", 0).put("max_tokens", 160)));
            String name = null, id = null;
            StringBuilder arguments = new StringBuilder();
            JsonObject done;
            String session = null;
            while (true) {
                JsonObject f = c.next();
                if (f.getString("type").equals("started")) session = f.getString("session");
                if (f.getString("type").equals("delta") && f.getJsonArray("tool_calls") != null) {
                    JsonObject piece = f.getJsonArray("tool_calls").getJsonObject(0);
                    if (piece.getString("id") != null) {
                        id = piece.getString("id");
                        name = piece.getJsonObject("function").getString("name");
                    }
                    arguments.append(piece.getJsonObject("function").getString("arguments"));
                }
                if (f.getString("type").equals("done") || f.getString("type").equals("error")) {
                    done = f;
                    break;
                }
            }
            assertEquals("tool_calls", done.getString("finish_reason"), done.encode());
            JsonObject call = done.getJsonArray("tool_calls").getJsonObject(0);
            assertEquals(id, call.getString("id"));
            assertEquals(name, call.getJsonObject("function").getString("name"));
            assertEquals(arguments.toString(), call.getJsonObject("function").getString("arguments"));
            c.send(new JsonObject().put("type", "chat").put("id", "t2").put("session", session).put("messages", new JsonArray()
                    .add(new JsonObject().put("role", "tool").put("tool_call_id", id).put("content", "{\"temperature\": 7}")))
                    .put("params", new JsonObject().put("tools", TOOLS).put("temperature", 0).put("max_tokens", 8)));
            WsClient.Result answer = c.awaitEnd("t2");
            assertEquals("done", answer.done.getString("type"), String.valueOf(answer.error));
            assertTrue(answer.started.getInteger("cached_tokens") > 0, "the session's prefix, the call included, was reused");
        }
    }
}
