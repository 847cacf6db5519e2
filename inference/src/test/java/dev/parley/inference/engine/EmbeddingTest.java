package dev.parley.inference.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.parley.inference.model.LayerWeights;
import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.model.ModelConfig;
import dev.parley.inference.model.Pooling;
import dev.parley.inference.model.SingleSequenceKvCache;
import dev.parley.inference.tensor.WeightMatrix;
import dev.parley.inference.testing.Shared;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Embeddings through the batched engine on the shared oracle models: the pooled final hidden states against a
 * from-scratch double-precision forward pass and against the project's single-sequence F32 path, the same vector
 * whatever shares the step or however the input is chunked, and no KV block held once an embedding is done.
 */
class EmbeddingTest {
    private static final String[] TEXTS = {
        "The quick brown fox jumps over the lazy dog.", "Embeddings map text to vectors.",
        "A longer input that runs over several prefill chunks, so its mean is summed across steps of the engine, "
                + "one chunk at a time, in position order.",
        "short",
    };

    private static Model load(String file) {
        return Model.load(Shared.path("oracle/models/" + file));
    }

    private static float[] embed(InferenceEngine engine, int[] tokens, Pooling pooling) throws Exception {
        return submit(engine, tokens, pooling).get(60, TimeUnit.SECONDS);
    }

    private static CompletableFuture<float[]> submit(InferenceEngine engine, int[] tokens, Pooling pooling) {
        CompletableFuture<float[]> done = new CompletableFuture<>();
        engine.embed(new EmbeddingRequest(tokens, pooling), new EmbeddingListener() {
            @Override public void onEmbedding(float[] vector, int count) {
                if (count != tokens.length) done.completeExceptionally(new AssertionError("counted " + count + " tokens"));
                done.complete(vector);
            }

            @Override public void onError(RuntimeException error) { done.completeExceptionally(error); }
        });
        return done;
    }

    /** llama3-bpe-f32: every layer matrix is F32, so the engine's hidden states are F32 math a double reference matches. */
    @Test
    void poolsWhatAFromScratchForwardPassComputes() throws Exception {
        try (Model model = load("llama3-bpe-f32.gguf");
             Engine engine = new Engine(model, new EngineConfig(4, 16, 8, MatmulMode.GGML))) {
            for (String text : TEXTS) {
                int[] tokens = model.tokenizer().encode(text, true, false);
                double[][] hidden = ReferenceForward.hiddenStates(model, tokens);
                for (Pooling pooling : Pooling.values()) {
                    float[] got = embed(engine, tokens, pooling);
                    assertVector(ReferenceForward.pool(hidden, pooling), got, 2e-5, pooling + " of '" + text + "'");
                }
            }
        }
    }

    /** A quantized model: the engine (ggml arithmetic) against the single-sequence pass in exact F32 on the same weights. */
    @Test
    void agreesWithTheSingleSequenceF32Path() throws Exception {
        try (Model model = load("llama-spm-q8_0.gguf");
             Engine exact = new Engine(model, new EngineConfig(4, 16, 8, MatmulMode.F32));
             Engine ggml = new Engine(model, new EngineConfig(4, 16, 8, MatmulMode.GGML))) {
            for (String text : TEXTS) {
                int[] tokens = model.tokenizer().encode(text, true, false);
                SingleSequenceKvCache kv = model.newSingleSequenceKvCache(tokens.length);
                float[][] rows = model.transformer(MatmulMode.F32).hiddenStates(tokens, 0, kv);
                double[][] hidden = new double[rows.length][];
                for (int i = 0; i < rows.length; i++) hidden[i] = toDouble(rows[i]);
                for (Pooling pooling : Pooling.values()) {
                    float[] expected = ReferenceForward.pool(hidden, pooling);
                    // the same F32 arithmetic, batched and chunked by the engine
                    assertVector(expected, embed(exact, tokens, pooling), 1e-5, "F32 " + pooling + " of '" + text + "'");
                    // Q8_0 activations instead of F32 ones: close in direction, not equal
                    float[] approx = embed(ggml, tokens, pooling);
                    assertTrue(dot(expected, approx) > 0.999, "ggml " + pooling + " cosine " + dot(expected, approx));
                }
            }
        }
    }

    /**
     * The same input alone, then queued with others so they share steps (held behind a first step that waits), then
     * with a different chunk size: bit-exact under batch-invariant kernels, else equal within float rounding.
     */
    @Test
    void theVectorDoesNotDependOnTheBatch() throws Exception {
        try (Model model = load("llama-spm-q8_0.gguf")) {
            int[][] inputs = new int[TEXTS.length][];
            for (int i = 0; i < TEXTS.length; i++) inputs[i] = model.tokenizer().encode(TEXTS[i], true, false);
            float[][] alone = new float[inputs.length][];
            try (Engine engine = new Engine(model, new EngineConfig(4, 16, 64, MatmulMode.GGML))) {
                // twice: the first pass runs partly before the JIT compiles the Vector API kernels, and interpreted
                // vector code rounds differently (up to ~4e-5 here); compiled code is what serves
                for (int pass = 0; pass < 2; pass++)
                    for (int i = 0; i < inputs.length; i++) alone[i] = embed(engine, inputs[i], Pooling.MEAN);
            }
            for (int chunk : new int[] {64, 7}) {
                CountDownLatch entered = new CountDownLatch(1), release = new CountDownLatch(1);
                List<Integer> rowsPerStep = new CopyOnWriteArrayList<>();
                ModelRunner.Factory held = (m, transformer, kv) -> new ModelRunner(m, transformer, kv) {
                    @Override StepOutput execute(StepPlan plan) {
                        try {
                            entered.countDown();
                            if (!release.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        rowsPerStep.add(plan.entries().size());
                        return super.execute(plan);
                    }
                };
                try (Engine engine = new Engine(model, new EngineConfig(8, 16, chunk, MatmulMode.GGML), Duration.ZERO, held)) {
                    List<CompletableFuture<float[]>> batched = new ArrayList<>();
                    // a generation shares the steps too: its rows want logits, the others hidden states
                    engine.submit(new GenerationRequest(inputs[0], dev.parley.inference.sampling.SamplingParams.builder()
                            .temperature(0).maxTokens(3).build()), new GenerationListener() {
                        @Override public void onToken(TokenEvent event) {}
                        @Override public void onComplete(Completion completion) {}
                        @Override public void onError(RuntimeException error) {}
                    });
                    // queued while the generation's first step is held: the next step takes them all together
                    assertTrue(entered.await(30, TimeUnit.SECONDS));
                    for (int[] input : inputs) batched.add(submit(engine, input, Pooling.MEAN));
                    release.countDown();
                    for (int i = 0; i < inputs.length; i++) {
                        float[] got = batched.get(i).get(60, TimeUnit.SECONDS);
                        // observed on AVX-512: equal, or off by an ulp or two (≤ 3e-8) while the JIT is still moving
                        // kernels between tiers, which round differently; -Dparley.batch-invariant=true gave bit-exact
                        assertVector(toDouble(alone[i]), got, 1e-6, "input " + i + ", chunk " + chunk);
                    }
                    int widest = rowsPerStep.stream().mapToInt(Integer::intValue).max().orElse(0);
                    assertTrue(widest > inputs.length, "the inputs and the generation shared a step: " + rowsPerStep);
                    awaitAllBlocksFree(engine);
                }
            }
        }
    }

    @Test
    void inputsLongerThanTheContextAreRefused() {
        try (Model model = load("llama3-bpe-f32.gguf"); Engine engine = new Engine(model, EngineConfig.defaults())) {
            int context = model.config().contextLength();
            int[] fits = new int[context], over = new int[context + 1];
            var e = assertThrows(IllegalArgumentException.class, () -> submit(engine, over, Pooling.LAST));
            assertTrue(e.getMessage().contains("the input has " + (context + 1) + " tokens; the context holds " + context), e.getMessage());
            assertDoesNotThrow(() -> embed(engine, fits, Pooling.LAST)); // an embedding may fill the context: nothing follows
        }
    }

    /** Finished embeddings hold no block and leave nothing in the prefix cache (the last update frees them). */
    private static void awaitAllBlocksFree(Engine engine) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (engine.stats().freeBlocks() != engine.stats().totalBlocks() && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(engine.stats().totalBlocks(), engine.stats().freeBlocks(), "blocks still held after every request ended");
    }

    private static void assertVector(float[] expected, float[] got, double tolerance, String what) {
        assertVector(toDouble(expected), got, tolerance, what);
    }

    private static void assertVector(double[] expected, float[] got, double tolerance, String what) {
        assertEquals(expected.length, got.length, what);
        double norm = 0;
        for (float v : got) norm += v * v;
        assertEquals(1, Math.sqrt(norm), 1e-5, what + ": not unit length");
        for (int i = 0; i < got.length; i++) {
            assertEquals(expected[i], got[i], tolerance, what + " [" + i + "]");
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    /**
     * A from-scratch llama forward pass in double precision, written from the oracle README's description (not from
     * the engine's code): embeddings, per layer RMSNorm, Q/K/V, RoPE on adjacent pairs, causal grouped-query attention,
     * output projection, RMSNorm, SiLU-gated feed-forward; the final RMSNorm's rows are what embeddings pool. Only the
     * weights' decoding (F32, and the exact F16 conversion of the embeddings) is the project's.
     */
    static final class ReferenceForward {
        static double[][] hiddenStates(Model model, int[] tokens) {
            ModelConfig c = model.config();
            int n = tokens.length, dim = c.dim(), hd = c.headDim(), group = c.heads() / c.kvHeads();
            double[][] x = new double[n][];
            for (int t = 0; t < n; t++) x[t] = row(model.weights().tokenEmbedding(), tokens[t]);
            for (LayerWeights lw : model.weights().layers()) {
                double[][] q = new double[n][], k = new double[n][], v = new double[n][];
                for (int t = 0; t < n; t++) {
                    double[] h = rmsNorm(x[t], lw.attnNorm(), c.rmsEps());
                    q[t] = rope(times(lw.wq(), h), t, hd, c.ropeBase());
                    k[t] = rope(times(lw.wk(), h), t, hd, c.ropeBase());
                    v[t] = times(lw.wv(), h);
                }
                for (int t = 0; t < n; t++) {
                    double[] att = new double[c.heads() * hd];
                    for (int head = 0; head < c.heads(); head++) {
                        int kvHead = head / group;
                        double[] scores = new double[t + 1];
                        double max = Double.NEGATIVE_INFINITY, sum = 0;
                        for (int p = 0; p <= t; p++) {
                            double s = 0;
                            for (int i = 0; i < hd; i++) s += q[t][head * hd + i] * k[p][kvHead * hd + i];
                            scores[p] = s / Math.sqrt(hd);
                            max = Math.max(max, scores[p]);
                        }
                        for (int p = 0; p <= t; p++) sum += scores[p] = Math.exp(scores[p] - max);
                        for (int p = 0; p <= t; p++)
                            for (int i = 0; i < hd; i++) att[head * hd + i] += scores[p] / sum * v[p][kvHead * hd + i];
                    }
                    add(x[t], times(lw.wo(), att));
                    double[] h = rmsNorm(x[t], lw.ffnNorm(), c.rmsEps());
                    double[] gate = times(lw.gate(), h), up = times(lw.up(), h);
                    for (int i = 0; i < gate.length; i++) gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                    add(x[t], times(lw.down(), gate));
                }
            }
            double[][] out = new double[n][];
            for (int t = 0; t < n; t++) out[t] = rmsNorm(x[t], model.weights().outputNorm(), c.rmsEps());
            assertEquals(dim, out[0].length);
            return out;
        }

        /** The pooled rows (mean, first or last), L2-normalized. */
        static float[] pool(double[][] hidden, Pooling pooling) {
            int dim = hidden[0].length;
            double[] pooled = new double[dim];
            switch (pooling) {
                case MEAN -> {
                    for (double[] h : hidden) for (int i = 0; i < dim; i++) pooled[i] += h[i] / hidden.length;
                }
                case CLS -> pooled = hidden[0].clone();
                case LAST -> pooled = hidden[hidden.length - 1].clone();
            }
            double norm = 0;
            for (double v : pooled) norm += v * v;
            float[] out = new float[dim];
            for (int i = 0; i < dim; i++) out[i] = (float) (pooled[i] / Math.sqrt(norm));
            return out;
        }

        private static double[] row(WeightMatrix m, int r) {
            float[] f = new float[m.cols()];
            m.dequantizeRow(r, f, 0);
            return toDouble(f);
        }

        private static double[] times(WeightMatrix m, double[] in) {
            double[] out = new double[m.rows()];
            float[] w = new float[m.cols()];
            for (int r = 0; r < m.rows(); r++) {
                m.dequantizeRow(r, w, 0);
                double s = 0;
                for (int i = 0; i < w.length; i++) s += w[i] * in[i];
                out[r] = s;
            }
            return out;
        }

        private static double[] rmsNorm(double[] x, float[] weight, double eps) {
            double ss = 0;
            for (double v : x) ss += v * v;
            double scale = 1 / Math.sqrt(ss / x.length + eps);
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i++) out[i] = x[i] * scale * weight[i];
            return out;
        }

        /** GGML's normal mode: pairs (2i, 2i+1) of each head turn by pos·base^(-2i/hd). */
        private static double[] rope(double[] x, int pos, int hd, double base) {
            for (int head = 0; head < x.length / hd; head++) {
                for (int i = 0; i < hd / 2; i++) {
                    double theta = pos * Math.pow(base, -2.0 * i / hd);
                    int a = head * hd + 2 * i;
                    double x0 = x[a], x1 = x[a + 1];
                    x[a] = x0 * Math.cos(theta) - x1 * Math.sin(theta);
                    x[a + 1] = x0 * Math.sin(theta) + x1 * Math.cos(theta);
                }
            }
            return x;
        }

        private static void add(double[] x, double[] y) {
            for (int i = 0; i < x.length; i++) x[i] += y[i];
        }
    }
}
