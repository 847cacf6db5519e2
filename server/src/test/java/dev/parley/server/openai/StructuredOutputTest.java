package dev.parley.server.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.constrain.JsonReference;
import dev.parley.inference.engine.EngineConfig;
import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.testing.Shared;
import dev.parley.inference.tokenizer.Tokenizer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import dev.parley.server.testing.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.function.IntFunction;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Structured output through the real path: a real server on a real socket serving the smallest oracle model with a
 * real vocabulary (llama-spm-q4_0: SentencePiece 32,000 tokens, random weights, so its distribution is close to
 * uniform and only the constraint makes its output JSON). Hundreds of sampled replies (temperature 1, a different
 * seed each, sent concurrently so they batch) must all parse and validate with an independent JSON-Schema validator,
 * and end with finish_reason stop because the grammar completed.
 */
class StructuredOutputTest {
    static final int GENERATIONS = 200;
    /** Nested objects, an optional property, a string pattern. */
    static final String NESTED = """
            {"type": "object",
             "properties": {
               "id": {"type": "integer"},
               "owner": {"type": "object",
                 "properties": {
                   "name": {"type": "string", "maxLength": 8},
                   "address": {"type": "object",
                     "properties": {"city": {"type": "string", "minLength": 1, "maxLength": 8},
                                    "zip": {"type": "string", "pattern": "^[0-9]{5}$"}},
                     "required": ["city", "zip"], "additionalProperties": false}},
                 "required": ["name", "address"], "additionalProperties": false},
               "verified": {"type": "boolean"}
             },
             "required": ["id", "owner"], "additionalProperties": false}
            """;
    /** Arrays with minItems/maxItems, nested arrays. */
    static final String ARRAYS = """
            {"type": "object",
             "properties": {
               "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}, "minItems": 1, "maxItems": 3},
               "matrix": {"type": "array", "minItems": 1, "maxItems": 2,
                          "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}},
               "flags": {"type": "array", "items": {"type": "boolean"}, "maxItems": 4}
             },
             "required": ["tags", "matrix", "flags"], "additionalProperties": false}
            """;
    /** Enums, const and anyOf over different types. */
    static final String CHOICES = """
            {"type": "object",
             "properties": {
               "color": {"enum": ["red", "green", "blue"]},
               "size": {"anyOf": [{"type": "integer"}, {"enum": ["S", "M", "L"]}, {"type": "null"}]},
               "shape": {"anyOf": [
                 {"type": "object", "properties": {"radius": {"type": "number"}}, "required": ["radius"],
                  "additionalProperties": false},
                 {"const": "square"}]},
               "kind": {"const": "widget"}
             },
             "required": ["color", "size", "shape", "kind"], "additionalProperties": false}
            """;
    /** A regular GBNF language, so java.util.regex can be the independent reference parser. */
    static final String GBNF = """
            # key=value pairs
            root  ::= item ("," item){0,3}
            item  ::= key "=" value
            key   ::= [a-z] [a-z0-9_]{0,7}
            value ::= [0-9]{1,4} | "\\"" [a-zA-Z ]{0,6} "\\"" | "true" | "false"
            """;
    static final Pattern GBNF_REFERENCE = Pattern.compile(
            "[a-z][a-z0-9_]{0,7}=([0-9]{1,4}|\"[a-zA-Z ]{0,6}\"|true|false)(,[a-z][a-z0-9_]{0,7}=([0-9]{1,4}|\"[a-zA-Z ]{0,6}\"|true|false)){0,3}");

    static TestServer server;

    @BeforeAll static void start() {
        // 32 sequences decode together: the concurrent requests below batch
        ServerConfig config = ServerConfig.forTests().toBuilder().engine(new EngineConfig(32, 1024, 64, MatmulMode.GGML)).build();
        server = TestServer.start(config, Shared.path("oracle/models/llama-spm-q4_0.gguf"));
    }

    @AfterAll static void stop() {
        if (server != null) server.close();
    }

    private static JsonObject chat(String content, long seed) {
        return new JsonObject().put("model", "m").put("temperature", 1).put("seed", seed).put("max_tokens", 400)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", content)));
    }

    private static JsonObject jsonSchemaFormat(String schema) {
        return new JsonObject().put("type", "json_schema").put("json_schema",
                new JsonObject().put("name", "thing").put("strict", true).put("schema", new JsonObject(schema)));
    }

    /** Sends {@code count} requests, up to 64 at a time, and returns each reply's body (status 200 required). */
    private static List<JsonObject> many(String path, int count, IntFunction<JsonObject> request) {
        Semaphore window = new Semaphore(64);
        List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            window.acquireUninterruptibly();
            HttpRequest r = HttpRequest.newBuilder(URI.create(server.url(path))).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(request.apply(i).encode())).build();
            replies.add(server.http.sendAsync(r, HttpResponse.BodyHandlers.ofString()).whenComplete((x, e) -> window.release()));
        }
        List<JsonObject> out = new ArrayList<>();
        for (var f : replies) {
            HttpResponse<String> r = f.join();
            assertEquals(200, r.statusCode(), r.body());
            out.add(new JsonObject(r.body()));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"NESTED", "ARRAYS", "CHOICES"})
    void everySampledChatReplyValidatesAgainstItsSchema(String name) throws Exception {
        String schema = (String) StructuredOutputTest.class.getDeclaredField(name).get(null);
        JsonReference reference = new JsonReference(schema);
        List<JsonObject> bodies = many("/v1/chat/completions", GENERATIONS,
                seed -> chat("Describe a thing as JSON.", seed).put("response_format", jsonSchemaFormat(schema)));
        Set<String> distinct = new java.util.HashSet<>();
        for (JsonObject body : bodies) {
            JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
            String content = choice.getJsonObject("message").getString("content");
            assertEquals("stop", choice.getString("finish_reason"), content);
            assertTrue(reference.valid(content), name + ": " + content + " " + errors(reference, content));
            distinct.add(content);
        }
        assertTrue(distinct.size() > GENERATIONS / 2, "sampled, not one reply repeated: " + distinct.size() + " distinct");
    }

    private static String errors(JsonReference reference, String content) {
        var node = JsonReference.parse(content);
        return node == null ? "(not JSON)" : reference.errors(node).toString();
    }

    /**
     * Any JSON object on the legacy completions endpoint. A near-uniform model almost never closes a string by chance
     * (a few of 32,000 tokens do), so a logit bias toward the closing tokens keeps replies short; validity comes from
     * the mask alone, whatever the distribution.
     */
    @Test void everySampledJsonObjectReplyParses() {
        JsonObject bias = new JsonObject();
        for (int id : tokensSpelling("\"", "}", "]")) bias.put(Integer.toString(id), 8);
        List<JsonObject> bodies = many("/v1/completions", GENERATIONS, seed -> new JsonObject().put("prompt", "JSON:")
                .put("temperature", 1).put("seed", seed).put("max_tokens", 400).put("logit_bias", bias)
                .put("response_format", new JsonObject().put("type", "json_object")));
        int nonEmpty = 0;
        for (JsonObject body : bodies) {
            JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
            String text = choice.getString("text");
            assertEquals("stop", choice.getString("finish_reason"), text);
            var node = JsonReference.parse(text);
            assertNotNull(node, "parses: " + text);
            assertTrue(node.isObject(), "an object: " + text);
            if (!node.isEmpty()) nonEmpty++;
        }
        assertTrue(nonEmpty > GENERATIONS / 4, "objects with members too: " + nonEmpty);
    }

    /** Token ids whose bytes are exactly one of {@code pieces}. */
    private static List<Integer> tokensSpelling(String... pieces) {
        Tokenizer tokenizer = server.model.model().tokenizer();
        Set<String> wanted = Set.of(pieces);
        List<Integer> ids = new ArrayList<>();
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            if (tokenizer.isText(id) && wanted.contains(new String(tokenizer.pieceBytes(id), StandardCharsets.UTF_8))) ids.add(id);
        }
        assertTrue(ids.size() >= pieces.length, "each piece has a token (a byte-fallback token may spell it too): " + ids);
        return ids;
    }

    @Test void everySampledGbnfReplyIsInTheGrammarsLanguage() {
        List<JsonObject> bodies = many("/v1/completions", GENERATIONS, seed -> new JsonObject().put("prompt", "Settings:")
                .put("temperature", 1).put("seed", seed).put("max_tokens", 400).put("grammar", GBNF));
        for (JsonObject body : bodies) {
            JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
            String text = choice.getString("text");
            assertEquals("stop", choice.getString("finish_reason"), text);
            assertTrue(GBNF_REFERENCE.matcher(text).matches(), text);
        }
    }

    @Test void guidedRegexAndChoiceAndAStreamedSchemaReply() throws Exception {
        List<String> choices = List.of("positive", "negative", "neutral");
        for (int seed = 0; seed < 10; seed++) {
            var r = server.post("/v1/chat/completions", chat("Sentiment?", seed).put("guided_choice", new JsonArray(choices)).encode(), null);
            assertEquals(200, r.statusCode(), r.body());
            JsonObject choice = new JsonObject(r.body()).getJsonArray("choices").getJsonObject(0);
            assertTrue(choices.contains(choice.getJsonObject("message").getString("content")), r.body());
            assertEquals("stop", choice.getString("finish_reason"));
            r = server.post("/v1/completions", new JsonObject().put("prompt", "Date:").put("seed", seed).put("max_tokens", 50)
                    .put("guided_regex", "20[0-9]{2}-(0[1-9]|1[0-2])-[0-2][0-9]").encode(), null);
            assertEquals(200, r.statusCode(), r.body());
            String date = new JsonObject(r.body()).getJsonArray("choices").getJsonObject(0).getString("text");
            assertTrue(date.matches("20[0-9]{2}-(0[1-9]|1[0-2])-[0-2][0-9]"), date);
        }
        // streamed: the SSE pieces add up to a valid document
        var r = server.post("/v1/chat/completions", chat("JSON please", 5).put("stream", true)
                .put("response_format", jsonSchemaFormat(CHOICES)).encode(), null);
        assertEquals(200, r.statusCode(), r.body());
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (String line : r.body().lines().filter(l -> l.startsWith("data: {")).toList()) {
            JsonObject c = new JsonObject(line.substring(6)).getJsonArray("choices").getJsonObject(0);
            String piece = c.getJsonObject("delta").getString("content");
            if (piece != null) text.append(piece);
            if (c.getString("finish_reason") != null) finish = c.getString("finish_reason");
        }
        assertEquals("stop", finish);
        assertTrue(new JsonReference(CHOICES).valid(text.toString()), text.toString());
    }

    @Test void maxTokensCutsAConstrainedReplyWithLength() throws Exception {
        var r = server.post("/v1/chat/completions", chat("JSON", 3).put("max_tokens", 4)
                .put("response_format", jsonSchemaFormat(NESTED)).encode(), null);
        assertEquals(200, r.statusCode(), r.body());
        JsonObject choice = new JsonObject(r.body()).getJsonArray("choices").getJsonObject(0);
        assertEquals("length", choice.getString("finish_reason"));
        assertTrue(choice.getJsonObject("message").getString("content").strip().startsWith("{"), r.body());
    }

    @Test void badConstraintsAreClearBadRequestsAndAnotherSessionKeepsStreaming() throws Exception {
        try (WsClient ws = WsClient.connect(server.vertx, server.port, "/v1/chat/ws")) {
            assertEquals("hello", ws.next().getString("type"));
            ws.send(new JsonObject().put("type", "chat").put("id", "long")
                    .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Tell me a story")))
                    .put("params", new JsonObject().put("max_tokens", 300).put("ignore_eos", true)));
            // each refusal names its problem
            assertBad(chat("x", 1).put("response_format", jsonSchemaFormat(
                    "{\"type\":\"object\",\"properties\":{\"age\":{\"type\":\"integer\",\"minimum\":0}}}")), "minimum");
            assertBad(chat("x", 1).put("response_format", new JsonObject().put("type", "yaml")), "response_format.type");
            assertBad(chat("x", 1).put("response_format", new JsonObject().put("type", "json_schema")), "response_format.json_schema");
            assertBad(chat("x", 1).put("grammar", "root ::= \"a"), "grammar");
            assertBad(chat("x", 1).put("grammar", "root ::= \"a\"").put("guided_regex", "a+"), "only one of");
            assertBad(chat("x", 1).put("guided_regex", "(?=a)"), "guided_regex");
            assertBad(chat("x", 1).put("guided_choice", new JsonArray().add(1)), "guided_choice");
            assertBad(new JsonObject().put("prompt", "x").put("response_format", jsonSchemaFormat("{\"oneOf\":[]}")), "oneOf");
            // the same on the WebSocket, under params, as this request's error frame
            ws.send(new JsonObject().put("type", "chat").put("id", "bad")
                    .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "x")))
                    .put("params", new JsonObject().put("grammar", "root ::= undefined-rule")));
            WsClient.Result bad = ws.awaitEnd("bad");
            assertNotNull(bad.error, "an error frame");
            assertEquals("bad_request", bad.error.getString("code"));
            assertTrue(bad.error.getString("message").contains("undefined-rule"), bad.error.encode());
            // and a good constrained request on the same socket, next to the long one
            ws.send(new JsonObject().put("type", "chat").put("id", "json")
                    .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "x")))
                    .put("params", new JsonObject().put("temperature", 1).put("seed", 9).put("max_tokens", 400)
                            .put("response_format", jsonSchemaFormat(ARRAYS))));
            WsClient.Result json = ws.awaitEnd("json");
            assertNull(json.error, () -> json.error.encode());
            assertEquals("stop", json.done.getString("finish_reason"));
            assertTrue(new JsonReference(ARRAYS).valid(json.text.toString()), json.text.toString());
            WsClient.Result story = ws.awaitEnd("long");
            assertNull(story.error, () -> story.error.encode());
            assertEquals("length", story.done.getString("finish_reason"));
            assertEquals(300, story.done.getJsonObject("usage").getInteger("completion_tokens"));
        }
    }

    private static void assertBad(JsonObject request, String named) throws Exception {
        String path = request.containsKey("messages") ? "/v1/chat/completions" : "/v1/completions";
        var r = server.post(path, request.encode(), null);
        assertEquals(400, r.statusCode(), r.body());
        JsonObject error = new JsonObject(r.body()).getJsonObject("error");
        assertEquals("invalid_request_error", error.getString("type"), r.body());
        assertTrue(error.getString("message").contains(named), "names " + named + ": " + r.body());
    }
}
