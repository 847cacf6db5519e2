package dev.parley.inference.model;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.inference.testing.Shared;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every oracle model against llama.cpp's recorded outputs (shared/oracle/README.md): logits at every prompt
 * position (top-10 entries), the full last-position logits, and the 32-token greedy continuation — within the
 * tolerance the README gives for each way of computing.
 */
class ModelOracleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** expected file, model file, mode, absolute logit tolerance */
    private record Case(String expected, String model, MatmulMode mode, double tol) {}

    private static final List<Case> CASES = List.of(
            new Case("llama3-bpe-f32.json", "llama3-bpe-f32.gguf", MatmulMode.GGML, 1e-4),
            new Case("qwen2-f32.json", "qwen2-f32.gguf", MatmulMode.GGML, 1e-4),
            new Case("llama-spm-q8_0-dequant-f32.json", "llama-spm-q8_0.gguf", MatmulMode.F32, 1e-4),
            new Case("llama-spm-q4_0-dequant-f32.json", "llama-spm-q4_0.gguf", MatmulMode.F32, 1e-4),
            new Case("llama-spm-q4_k_m-dequant-f32.json", "llama-spm-q4_k_m.gguf", MatmulMode.F32, 1e-4),
            new Case("llama-spm-q8_0.json", "llama-spm-q8_0.gguf", MatmulMode.GGML, 3e-2),
            new Case("llama-spm-q4_0.json", "llama-spm-q4_0.gguf", MatmulMode.GGML, 3e-2),
            new Case("llama-spm-q4_k_m.json", "llama-spm-q4_k_m.gguf", MatmulMode.GGML, 3e-2));

    @TestFactory
    Stream<DynamicNode> oracle() {
        Path root = Shared.path("oracle");
        return CASES.stream().map(c -> DynamicContainer.dynamicContainer(c.expected + " (" + c.mode + ")", cases(root, c)));
    }

    private Stream<DynamicNode> cases(Path root, Case c) {
        JsonNode expected;
        try {
            expected = JSON.readTree(root.resolve("expected").resolve(c.expected).toFile());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        List<DynamicNode> tests = new ArrayList<>();
        int i = 0;
        for (JsonNode prompt : expected.get("prompts")) {
            int index = i++;
            tests.add(DynamicTest.dynamicTest("prompt " + index, () -> {
                try (Model model = Model.load(root.resolve("models").resolve(c.model))) {
                    checkPrompt(model.transformer(c.mode), model, prompt, c.tol);
                }
            }));
        }
        return tests.stream();
    }

    private static void checkPrompt(Transformer tf, Model model, JsonNode prompt, double tol) {
        int[] tokens = ints(prompt.get("tokens"));
        int nGen = prompt.get("greedy").get("tokens").size();
        try (KvCache kv = model.newKvCache(tokens.length + nGen)) {
            float[][] logits = tf.forward(tokens, 0, kv, true);
            JsonNode top10 = prompt.get("top10_per_position");
            for (int pos = 0; pos < tokens.length; pos++) checkTop(logits[pos], top10.get(pos), tol, "position " + pos);

            float[] last = logits[tokens.length - 1];
            JsonNode lastLogits = prompt.get("last_logits");
            assertEquals(lastLogits.size(), last.length, "vocabulary size");
            double maxDiff = 0;
            for (int v = 0; v < last.length; v++) maxDiff = Math.max(maxDiff, Math.abs(last[v] - lastLogits.get(v).asDouble()));
            assertTrue(maxDiff <= tol, "last-position logits differ by " + maxDiff + " > " + tol);

            // greedy: compare until the first step whose top-2 margin is within the tolerance (a legitimate tie)
            JsonNode greedy = prompt.get("greedy");
            float[] current = last;
            int pos = tokens.length;
            for (int step = 0; step < nGen; step++) {
                JsonNode top2 = greedy.get("top2_per_step").get(step);
                double margin = top2.get(0).get(1).asDouble() - top2.get(1).get(1).asDouble();
                if (margin <= tol) break;
                int expectedToken = greedy.get("tokens").get(step).asInt();
                assertEquals(expectedToken, argmax(current), "greedy step " + step);
                assertEquals(top2.get(0).get(1).asDouble(), current[expectedToken], tol, "greedy step " + step + " logit");
                current = tf.forward(new int[] {expectedToken}, pos++, kv, false)[0];
            }
        }
    }

    /** The listed logits agree within tol; the top-1 id agrees where llama.cpp's top-2 margin exceeds tol. */
    private static void checkTop(float[] logits, JsonNode top, double tol, String where) {
        for (JsonNode pair : top) {
            int id = pair.get(0).asInt();
            assertEquals(pair.get(1).asDouble(), logits[id], tol, where + " token " + id);
        }
        double margin = top.get(0).get(1).asDouble() - top.get(1).get(1).asDouble();
        if (margin > tol) assertEquals(top.get(0).get(0).asInt(), argmax(logits), where + " top-1");
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
