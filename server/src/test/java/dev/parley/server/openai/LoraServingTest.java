package dev.parley.server.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.parley.inference.forge.SyntheticAdapter;
import dev.parley.inference.model.LoraAdapter.Projection;
import dev.parley.inference.model.Model;
import dev.parley.inference.testing.Shared;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.ServingModel;
import dev.parley.server.testing.TestServer;
import dev.parley.server.testing.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two LoRA adapters served beside the base over real sockets: {@code /v1/models} lists them, OpenAI's {@code model}
 * and the WebSocket's {@code params.adapter} pick one, requests for all three batched together answer what each answers
 * alone, a session keeps its adapter, and an unknown name is a clear not-found.
 */
class LoraServingTest {
    @TempDir static Path dir;
    static TestServer server;

    @BeforeAll static void start() {
        Path a = dir.resolve("a.gguf"), b = dir.resolve("b.gguf");
        try (Model base = Model.load(Shared.stories260K())) {
            // large B so greedy text visibly changes on this small model
            new SyntheticAdapter(8, 16f, 0.3f, List.of(Projection.values()), 1).write(base, a);
            new SyntheticAdapter(4, 8f, 0.3f, List.of(Projection.Q, Projection.V, Projection.UP, Projection.DOWN), 2).write(base, b);
        }
        server = TestServer.start(ServerConfig.forTests(), Shared.stories260K(), new ServingModel.Options().lora("a", a).lora("b", b));
    }

    @AfterAll static void stop() {
        if (server != null) server.close();
    }

    private static String request(String model) {
        return new JsonObject().put("model", model).put("max_tokens", 16).put("temperature", 0)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Once upon a time"))).encode();
    }

    private static JsonObject complete(String model) throws Exception {
        HttpResponse<String> r = server.post("/v1/chat/completions", request(model), null);
        assertEquals(200, r.statusCode(), r.body());
        return new JsonObject(r.body());
    }

    private static String text(JsonObject completion) {
        return completion.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content");
    }

    @Test void modelsListsTheBaseAndEachAdapter() throws Exception {
        JsonArray data = new JsonObject(server.get("/v1/models").body()).getJsonArray("data");
        assertEquals(3, data.size(), data.encode());
        assertEquals("stories260K", data.getJsonObject(0).getString("id"));
        assertNull(data.getJsonObject(0).getString("parent"));
        assertEquals("a", data.getJsonObject(1).getString("id"));
        assertEquals("stories260K", data.getJsonObject(1).getString("parent"));
        assertEquals("b", data.getJsonObject(2).getString("id"));
    }

    @Test void theModelFieldPicksTheAdapterAndMixedRequestsAnswerAsAlone() throws Exception {
        Map<String, String> alone = new java.util.LinkedHashMap<>();
        for (String model : List.of("stories260K", "a", "b")) {
            JsonObject c = complete(model);
            assertEquals(model, c.getString("model"));
            alone.put(model, text(c));
        }
        assertNotEquals(alone.get("stories260K"), alone.get("a"));
        assertNotEquals(alone.get("stories260K"), alone.get("b"));
        assertNotEquals(alone.get("a"), alone.get("b"));
        // all at once, twice each: the engine batches base and adapter rows in the same steps
        List<CompletableFuture<JsonObject>> together = new ArrayList<>();
        List<String> order = List.of("a", "stories260K", "b", "b", "a", "stories260K");
        for (String model : order) together.add(CompletableFuture.supplyAsync(() -> {
            try {
                return complete(model);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }));
        for (int i = 0; i < order.size(); i++) assertEquals(alone.get(order.get(i)), text(together.get(i).join()), "request " + i + ", " + order.get(i));
    }

    @Test void anUnknownModelIsNotFound() throws Exception {
        HttpResponse<String> r = server.post("/v1/chat/completions", request("c"), null);
        assertEquals(404, r.statusCode());
        JsonObject error = new JsonObject(r.body()).getJsonObject("error");
        assertEquals("model_not_found", error.getString("code"));
        assertEquals("model: the model 'c' does not exist; this server serves stories260K, a, b", error.getString("message"));
        HttpResponse<String> text = server.post("/v1/completions", new JsonObject().put("model", "c").put("prompt", "Once").encode(), null);
        assertEquals(404, text.statusCode());
    }

    @Test void theWebSocketPicksTheAdapterByParamsAndTheSessionKeepsIt() throws Exception {
        String viaOpenAi = text(complete("a"));
        try (WsClient c = WsClient.connect(server.vertx, server.port, "/v1/chat/ws")) {
            assertEquals("hello", c.next().getString("type"));
            c.send(chat("w1", null, new JsonObject().put("temperature", 0).put("max_tokens", 16).put("adapter", "a")));
            WsClient.Result first = c.awaitEnd("w1");
            assertNull(first.error, () -> "error: " + first.error);
            assertEquals(viaOpenAi, first.text.toString());
            String session = first.started.getString("session");
            // regenerate without params: the session's settings and adapter
            c.send(new JsonObject().put("type", "regenerate").put("id", "w2").put("session", session));
            WsClient.Result again = c.awaitEnd("w2");
            assertNull(again.error, () -> "error: " + again.error);
            assertEquals(viaOpenAi, again.text.toString());
            // the base's name picks the base again
            c.send(new JsonObject().put("type", "regenerate").put("id", "w3").put("session", session)
                    .put("params", new JsonObject().put("temperature", 0).put("max_tokens", 16).put("adapter", "stories260K")));
            WsClient.Result base = c.awaitEnd("w3");
            assertEquals(text(complete("stories260K")), base.text.toString());
            c.send(chat("w4", null, new JsonObject().put("adapter", "c")));
            WsClient.Result unknown = c.awaitEnd("w4");
            assertEquals("not_found", unknown.error.getString("code"));
            assertEquals("params.adapter: the model 'c' does not exist; this server serves stories260K, a, b", unknown.error.getString("message"));
        }
    }

    private static JsonObject chat(String id, String session, JsonObject params) {
        JsonObject f = new JsonObject().put("type", "chat").put("id", id).put("params", params)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Once upon a time")));
        if (session != null) f.put("session", session);
        return f;
    }
}
