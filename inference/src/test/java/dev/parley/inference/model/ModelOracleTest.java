package dev.parley.inference.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.parley.inference.kv.KvFormat;
import dev.parley.inference.kv.PagedKvCache;
import dev.parley.inference.testing.Shared;
import dev.parley.inference.testing.TestJson;
import io.micronaut.json.tree.JsonNode;
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
        JsonNode expected = TestJson.read(root.resolve("expected").resolve(c.expected));
        List<DynamicNode> tests = new ArrayList<>();
        int i = 0;
        for (JsonNode prompt : expected.get("prompts").values()) {
            int index = i++;
            tests.add(DynamicTest.dynamicTest("prompt " + index, () -> {
                try (Model model = Model.load(root.resolve("models").resolve(c.model))) {
                    checkPrompt(model.transformer(c.mode), model, prompt, c.tol);
                }
            }));
            tests.add(DynamicTest.dynamicTest("prompt " + index + " batched, paged KV", () -> {
                try (Model model = Model.load(root.resolve("models").resolve(c.model))) {
                    checkPromptBatched(model.transformer(c.mode), model, prompt, c.tol);
                }
            }));
        }
        return tests.stream();
    }

    private static void checkPrompt(Transformer tf, Model model, JsonNode prompt, double tol) {
        int[] tokens = TestJson.ints(prompt.get("tokens"));
        int nGen = prompt.get("greedy").get("tokens").size();
        try (SingleSequenceKvCache kv = model.newSingleSequenceKvCache(tokens.length + nGen)) {
            float[][] logits = tf.forward(tokens, 0, kv, true);
            JsonNode top10 = prompt.get("top10_per_position");
            for (int pos = 0; pos < tokens.length; pos++) checkTop(logits[pos], top10.get(pos), tol, "position " + pos);

            float[] last = logits[tokens.length - 1];
            JsonNode lastLogits = prompt.get("last_logits");
            assertEquals(lastLogits.size(), last.length, "vocabulary size");
            double maxDiff = 0;
            for (int v = 0; v < last.length; v++) maxDiff = Math.max(maxDiff, Math.abs(last[v] - lastLogits.get(v).getDoubleValue()));
            assertTrue(maxDiff <= tol, "last-position logits differ by " + maxDiff + " > " + tol);

            // greedy: compare until the first step whose top-2 margin is within the tolerance (a legitimate tie)
            JsonNode greedy = prompt.get("greedy");
            float[] current = last;
            int pos = tokens.length;
            for (int step = 0; step < nGen; step++) {
                JsonNode top2 = greedy.get("top2_per_step").get(step);
                double margin = top2.get(0).get(1).getDoubleValue() - top2.get(1).get(1).getDoubleValue();
                if (margin <= tol) break;
                int expectedToken = greedy.get("tokens").get(step).getIntValue();
                assertEquals(expectedToken, argmax(current), "greedy step " + step);
                assertEquals(top2.get(0).get(1).getDoubleValue(), current[expectedToken], tol, "greedy step " + step + " logit");
                current = tf.forward(new int[] {expectedToken}, pos++, kv, false)[0];
            }
        }
    }

    /**
     * The same checks through the serving path: the prompt is prefilled in two chunks into a paged cache (block size
     * 4, so blocks are crossed), each chunk sharing its step with rows of an unrelated sequence, then decoded greedily
     * while that other sequence decodes alongside.
     */
    private static void checkPromptBatched(Transformer tf, Model model, JsonNode prompt, double tol) {
        int[] tokens = TestJson.ints(prompt.get("tokens"));
        int nGen = prompt.get("greedy").get("tokens").size();
        int bs = 4, blocksPerSeq = (tokens.length + nGen + bs) / bs + 1;
        int[] mine = new int[blocksPerSeq], other = new int[blocksPerSeq];
        for (int i = 0; i < blocksPerSeq; i++) {
            mine[i] = 2 * i + 1; // interleaved, so a wrong block table reads the other sequence
            other[i] = 2 * i;
        }
        ForwardBuffers buf = new ForwardBuffers(model.config());
        Batch batch = new Batch();
        try (PagedKvCache kv = new PagedKvCache(model.config().kvShape(), KvFormat.F32, bs, 2 * blocksPerSeq)) {
            int split = tokens.length / 2, otherPos = 0;
            float[][] all = new float[tokens.length][];
            for (int[] range : new int[][] {{0, split}, {split, tokens.length}}) {
                batch.clear();
                batch.add(tokens[tokens.length - 1 - otherPos], otherPos++, other, true);
                for (int p = range[0]; p < range[1]; p++) batch.add(tokens[p], p, mine, true);
                float[][] rows = tf.forward(batch, kv, buf);
                for (int p = range[0]; p < range[1]; p++) all[p] = rows[1 + p - range[0]].clone();
            }
            JsonNode top10 = prompt.get("top10_per_position");
            for (int pos = 0; pos < tokens.length; pos++) checkTop(all[pos], top10.get(pos), tol, "position " + pos);
            float[] current = all[tokens.length - 1];
            JsonNode lastLogits = prompt.get("last_logits");
            for (int v = 0; v < current.length; v++) assertEquals(lastLogits.get(v).getDoubleValue(), current[v], tol, "last logits " + v);

            JsonNode greedy = prompt.get("greedy");
            int pos = tokens.length;
            for (int step = 0; step < nGen; step++) {
                JsonNode top2 = greedy.get("top2_per_step").get(step);
                if (top2.get(0).get(1).getDoubleValue() - top2.get(1).get(1).getDoubleValue() <= tol) break;
                int expectedToken = greedy.get("tokens").get(step).getIntValue();
                assertEquals(expectedToken, argmax(current), "greedy step " + step);
                batch.clear();
                batch.add(expectedToken, pos++, mine, true);
                batch.add(tokens[step % tokens.length], otherPos++, other, false);
                current = tf.forward(batch, kv, buf)[0].clone();
            }
        }
    }

    /** The listed logits agree within tol; the top-1 id agrees where llama.cpp's top-2 margin exceeds tol. */
    private static void checkTop(float[] logits, JsonNode top, double tol, String where) {
        for (JsonNode pair : top.values()) {
            int id = pair.get(0).getIntValue();
            assertEquals(pair.get(1).getDoubleValue(), logits[id], tol, where + " token " + id);
        }
        double margin = top.get(0).get(1).getDoubleValue() - top.get(1).get(1).getDoubleValue();
        if (margin > tol) assertEquals(top.get(0).get(0).getIntValue(), argmax(logits), where + " top-1");
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

}
