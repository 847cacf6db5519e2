package dev.parley.server.openai;

import static org.junit.jupiter.api.Assertions.*;

import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.model.Pooling;
import dev.parley.inference.testing.Shared;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.ServingModel;
import dev.parley.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/embeddings} over a real socket on a shared oracle model (llama3-bpe-f32, which names no pooling, so
 * the default last-token pooling applies): vectors against the project's single-sequence F32 pass, batched equals
 * alone, base64 equals float, token-id input equals text, and each bad input a clear 400.
 */
class EmbeddingsTest {
    private static final List<String> TEXTS = List.of("The quick brown fox", "Embeddings for retrieval", "x");
    static TestServer server;

    @BeforeAll static void start() {
        server = TestServer.start(ServerConfig.forTests(), Shared.path("oracle/models/llama3-bpe-f32.gguf"), new ServingModel.Options());
    }

    @AfterAll static void stop() {
        if (server != null) server.close();
    }

    private static JsonObject post(JsonObject request, int status) throws Exception {
        var r = server.post("/v1/embeddings", request.encode(), null);
        assertEquals(status, r.statusCode(), r.body());
        return new JsonObject(r.body());
    }

    private static float[] vector(JsonObject item) {
        JsonArray values = item.getJsonArray("embedding");
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) out[i] = values.getNumber(i).floatValue();
        return out;
    }

    /** The last token's final normed hidden state, normalized, from the single-sequence pass in exact F32. */
    private static float[] reference(String text) {
        Model model = server.model.model();
        int[] tokens = model.tokenizer().encode(text, true, false);
        float[][] hidden = model.transformer(MatmulMode.F32).hiddenStates(tokens, 0, model.newSingleSequenceKvCache(tokens.length));
        float[] last = hidden[hidden.length - 1];
        double norm = 0;
        for (float v : last) norm += (double) v * v;
        float[] out = new float[last.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) (last[i] / Math.sqrt(norm));
        return out;
    }

    @Test void anArrayOfInputsGivesOneNormalizedVectorEachInOrder() throws Exception {
        assertEquals(Pooling.LAST, server.model.pooling());
        JsonObject body = post(new JsonObject().put("model", "llama3-bpe-f32").put("input", new JsonArray(TEXTS)), 200);
        assertEquals("list", body.getString("object"));
        assertEquals("llama3-bpe-f32", body.getString("model"));
        JsonArray data = body.getJsonArray("data");
        assertEquals(TEXTS.size(), data.size());
        int tokens = 0;
        for (int i = 0; i < TEXTS.size(); i++) {
            JsonObject item = data.getJsonObject(i);
            assertEquals("embedding", item.getString("object"));
            assertEquals(i, item.getInteger("index"));
            float[] got = vector(item);
            assertEquals(server.model.model().config().dim(), got.length);
            assertArrayEquals(reference(TEXTS.get(i)), got, 1e-5f, TEXTS.get(i));
            // the same input alone: the batch it shared does not change it
            float[] alone = vector(post(new JsonObject().put("input", TEXTS.get(i)), 200).getJsonArray("data").getJsonObject(0));
            assertArrayEquals(alone, got, 1e-6f, "alone vs batched: " + TEXTS.get(i));
            tokens += server.model.model().tokenizer().encode(TEXTS.get(i), true, false).length;
        }
        JsonObject usage = body.getJsonObject("usage");
        assertEquals(tokens, usage.getInteger("prompt_tokens"));
        assertEquals(tokens, usage.getInteger("total_tokens"));
    }

    @Test void base64IsTheLittleEndianFloatsOfTheSameVector() throws Exception {
        JsonObject request = new JsonObject().put("input", new JsonArray(TEXTS));
        JsonArray floats = post(request, 200).getJsonArray("data");
        JsonArray encoded = post(request.copy().put("encoding_format", "base64"), 200).getJsonArray("data");
        for (int i = 0; i < TEXTS.size(); i++) {
            ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(encoded.getJsonObject(i).getString("embedding")))
                    .order(ByteOrder.LITTLE_ENDIAN);
            float[] decoded = new float[bytes.remaining() / Float.BYTES];
            bytes.asFloatBuffer().get(decoded);
            assertArrayEquals(vector(floats.getJsonObject(i)), decoded, 1e-6f);
        }
    }

    @Test void tokenIdsEmbedLikeTheirText() throws Exception {
        int[] ids = server.model.model().tokenizer().encode(TEXTS.getFirst(), true, false);
        JsonArray idArray = new JsonArray();
        for (int id : ids) idArray.add(id);
        float[] text = vector(post(new JsonObject().put("input", TEXTS.getFirst()), 200).getJsonArray("data").getJsonObject(0));
        JsonObject single = post(new JsonObject().put("input", idArray), 200);
        assertEquals(1, single.getJsonArray("data").size());
        assertArrayEquals(text, vector(single.getJsonArray("data").getJsonObject(0)), 1e-6f);
        JsonObject many = post(new JsonObject().put("input", new JsonArray().add(idArray).add(idArray)), 200);
        assertEquals(2, many.getJsonArray("data").size());
        assertEquals(2 * ids.length, many.getJsonObject("usage").getInteger("prompt_tokens"));
    }

    @Test void badInputIsAClear400() throws Exception {
        int dim = server.model.model().config().dim(), context = server.model.contextLength();
        assertError(new JsonObject().put("input", "hi").put("dimensions", 8), 400,
                "dimensions is not supported: this model's embeddings have " + dim + " dimensions");
        assertEquals(dim, vector(post(new JsonObject().put("input", "hi").put("dimensions", dim), 200)
                .getJsonArray("data").getJsonObject(0)).length);
        assertError(new JsonObject().put("input", "hi").put("encoding_format", "int8"), 400, "encoding_format must be float or base64");
        assertError(new JsonObject().put("input", new JsonArray()), 400, "'input' must be a string");
        assertError(new JsonObject().put("input", 42), 400, "'input' must be a string");
        assertError(new JsonObject().put("input", new JsonArray().add("ok").add(new JsonObject())), 400, "input[1] must be a string");
        assertError(new JsonObject().put("input", new JsonArray().add("ok").add("")), 400, "input[1] is empty");
        assertError(new JsonObject().put("input", new JsonArray().add(-1)), 400, "token id -1 is out of range");
        String tooLong = "word ".repeat(context + 10);
        JsonObject overflow = assertError(new JsonObject().put("input", new JsonArray().add("fine").add(tooLong)), 400,
                "input[1] has ");
        assertEquals("context_length_exceeded", overflow.getJsonObject("error").getString("code"));
        // nothing else disturbed: the next request is served
        post(new JsonObject().put("input", "still here"), 200);
    }

    private static JsonObject assertError(JsonObject request, int status, String message) throws Exception {
        JsonObject body = post(request, status);
        String got = body.getJsonObject("error").getString("message");
        assertTrue(got.contains(message), got);
        assertEquals("invalid_request_error", body.getJsonObject("error").getString("type"));
        return body;
    }
}
