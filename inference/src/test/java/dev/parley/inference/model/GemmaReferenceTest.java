package dev.parley.inference.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.parley.inference.forge.SyntheticModel;
import dev.parley.inference.gguf.GgufValue;
import dev.parley.inference.gguf.GgufWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gemma 2 and Gemma 3 through the shared forward pass, against a from-scratch double-precision reference written
 * from the Hugging Face definitions: scaled embeddings, sandwich norms, GeGLU, attention and final logit
 * soft-capping, sliding-window layers, per-head Q/K norms and Gemma 3's local RoPE base. No llama.cpp oracle exists
 * for these families here, so this checks the options are wired as the papers and transformers define them.
 */
class GemmaReferenceTest {
    @TempDir Path tmp;

    private static final int DIM = 32, HEADS = 4, KV_HEADS = 2, HD = 8, FFN = 48, VOCAB = 300, WINDOW = 4;

    private record Tiny(String arch, int layers, Map<String, float[]> tensors, float attnCap, float finalCap, float ropeBase) {}

    private Tiny build(String arch, int layers, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, float[]> t = new HashMap<>();
        t.put("token_embd.weight", random(rnd, VOCAB * DIM, 0.5));
        t.put("output_norm.weight", norm(rnd, DIM));
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            t.put(p + "attn_norm.weight", norm(rnd, DIM));
            t.put(p + "attn_q.weight", random(rnd, HEADS * HD * DIM, 0.3));
            t.put(p + "attn_k.weight", random(rnd, KV_HEADS * HD * DIM, 0.3));
            t.put(p + "attn_v.weight", random(rnd, KV_HEADS * HD * DIM, 0.3));
            t.put(p + "attn_output.weight", random(rnd, DIM * HEADS * HD, 0.2));
            t.put(p + "post_attention_norm.weight", norm(rnd, DIM));
            t.put(p + "ffn_norm.weight", norm(rnd, DIM));
            t.put(p + "ffn_gate.weight", random(rnd, FFN * DIM, 0.3));
            t.put(p + "ffn_up.weight", random(rnd, FFN * DIM, 0.3));
            t.put(p + "ffn_down.weight", random(rnd, DIM * FFN, 0.2));
            t.put(p + "post_ffw_norm.weight", norm(rnd, DIM));
            if (arch.equals("gemma3")) {
                t.put(p + "attn_q_norm.weight", norm(rnd, HD));
                t.put(p + "attn_k_norm.weight", norm(rnd, HD));
            }
        }
        boolean g2 = arch.equals("gemma2");
        return new Tiny(arch, layers, t, g2 ? 2f : 0f, g2 ? 3f : 0f, g2 ? 10000f : 1_000_000f);
    }

    private Path write(Tiny m) {
        GgufWriter w = new GgufWriter();
        String a = m.arch + ".";
        w.put("general.architecture", GgufValue.of(m.arch));
        w.put(a + "embedding_length", GgufValue.u32(DIM));
        w.put(a + "block_count", GgufValue.u32(m.layers));
        w.put(a + "attention.head_count", GgufValue.u32(HEADS));
        w.put(a + "attention.head_count_kv", GgufValue.u32(KV_HEADS));
        w.put(a + "attention.key_length", GgufValue.u32(HD));
        w.put(a + "attention.value_length", GgufValue.u32(HD));
        w.put(a + "feed_forward_length", GgufValue.u32(FFN));
        w.put(a + "context_length", GgufValue.u32(64));
        w.put(a + "attention.layer_norm_rms_epsilon", GgufValue.f32(1e-6f));
        w.put(a + "rope.freq_base", GgufValue.f32(m.ropeBase));
        w.put(a + "attention.sliding_window", GgufValue.u32(WINDOW));
        if (m.attnCap > 0) w.put(a + "attn_logit_softcapping", GgufValue.f32(m.attnCap));
        if (m.finalCap > 0) w.put(a + "final_logit_softcapping", GgufValue.f32(m.finalCap));
        SyntheticModel.putVocabulary(w, VOCAB);
        m.tensors.forEach((name, values) -> {
            long[] shape = switch (name.substring(name.lastIndexOf('.', name.length() - 8) + 1)) {
                case "token_embd.weight" -> new long[] {DIM, VOCAB};
                case "attn_q.weight" -> new long[] {DIM, HEADS * HD};
                case "attn_k.weight", "attn_v.weight" -> new long[] {DIM, KV_HEADS * HD};
                case "attn_output.weight" -> new long[] {HEADS * HD, DIM};
                case "ffn_gate.weight", "ffn_up.weight" -> new long[] {DIM, FFN};
                case "ffn_down.weight" -> new long[] {FFN, DIM};
                default -> new long[] {values.length};
            };
            w.addF32(name, shape, values);
        });
        Path p = tmp.resolve(m.arch + ".gguf");
        w.write(p);
        return p;
    }

    @Test
    void gemma2MatchesReference() {
        check(build("gemma2", 3, 1));
    }

    @Test
    void gemma3MatchesReference() {
        check(build("gemma3", 6, 2));
    }

    private void check(Tiny m) {
        int[] tokens = new int[12];
        for (int i = 0; i < tokens.length; i++) tokens[i] = 3 + (i * 37) % (VOCAB - 3);
        try (Model model = Model.load(write(m)); SingleSequenceKvCache kv = model.newSingleSequenceKvCache(tokens.length)) {
            assertEquals(m.arch, model.config().arch());
            float[][] got = model.transformer(MatmulMode.F32).forward(tokens, 0, kv, true);
            double[][] want = reference(m, tokens);
            double maxDiff = 0, scale = 0;
            for (int t = 0; t < tokens.length; t++)
                for (int v = 0; v < VOCAB; v++) {
                    maxDiff = Math.max(maxDiff, Math.abs(got[t][v] - want[t][v]));
                    scale = Math.max(scale, Math.abs(want[t][v]));
                }
            assertTrue(maxDiff < 1e-4 * Math.max(1, scale), m.arch + ": max |Δlogit| " + maxDiff + " (logit scale " + scale + ")");
        }
    }

    // ---- the reference: plain double-precision loops, written from the transformers Gemma2/Gemma3 modules ----

    private static double[][] reference(Tiny m, int[] tokens) {
        boolean g3 = m.arch.equals("gemma3");
        int n = tokens.length, period = g3 ? 6 : 2;
        Map<String, float[]> t = m.tensors;
        double[][] x = new double[n][DIM];
        for (int i = 0; i < n; i++)
            for (int d = 0; d < DIM; d++) x[i][d] = t.get("token_embd.weight")[tokens[i] * DIM + d] * Math.sqrt(DIM);
        double[][][] keys = new double[n][][], values = new double[n][][];
        for (int l = 0; l < m.layers; l++) {
            String p = "blk." + l + ".";
            boolean local = l % period < period - 1;
            double base = g3 && local ? 10000 : m.ropeBase;
            double[][] attnOut = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] h = rms(x[i], t.get(p + "attn_norm.weight"));
                double[][] q = heads(matvec(t.get(p + "attn_q.weight"), h, HEADS * HD), HEADS);
                double[][] k = heads(matvec(t.get(p + "attn_k.weight"), h, KV_HEADS * HD), KV_HEADS);
                double[][] v = heads(matvec(t.get(p + "attn_v.weight"), h, KV_HEADS * HD), KV_HEADS);
                for (int hh = 0; hh < HEADS; hh++) {
                    if (g3) q[hh] = rms(q[hh], t.get(p + "attn_q_norm.weight"));
                    ropeNeox(q[hh], i, base);
                }
                for (int hh = 0; hh < KV_HEADS; hh++) {
                    if (g3) k[hh] = rms(k[hh], t.get(p + "attn_k_norm.weight"));
                    ropeNeox(k[hh], i, base);
                }
                keys[i] = k;
                values[i] = v;
                double[] concat = new double[HEADS * HD];
                for (int hh = 0; hh < HEADS; hh++) {
                    int kvh = hh / (HEADS / KV_HEADS);
                    int first = local ? Math.max(0, i - WINDOW + 1) : 0;
                    double[] s = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = first; j <= i; j++) {
                        double dot = 0;
                        for (int d = 0; d < HD; d++) dot += q[hh][d] * keys[j][kvh][d];
                        dot /= Math.sqrt(HD);
                        if (m.attnCap > 0) dot = m.attnCap * Math.tanh(dot / m.attnCap);
                        s[j] = dot;
                        max = Math.max(max, dot);
                    }
                    double sum = 0;
                    for (int j = first; j <= i; j++) sum += s[j] = Math.exp(s[j] - max);
                    for (int j = first; j <= i; j++)
                        for (int d = 0; d < HD; d++) concat[hh * HD + d] += s[j] / sum * values[j][kvh][d];
                }
                attnOut[i] = rms(matvec(t.get(p + "attn_output.weight"), concat, DIM), t.get(p + "post_attention_norm.weight"));
            }
            for (int i = 0; i < n; i++) {
                for (int d = 0; d < DIM; d++) x[i][d] += attnOut[i][d];
                double[] h = rms(x[i], t.get(p + "ffn_norm.weight"));
                double[] g = matvec(t.get(p + "ffn_gate.weight"), h, FFN), u = matvec(t.get(p + "ffn_up.weight"), h, FFN);
                for (int f = 0; f < FFN; f++) {
                    g[f] = 0.5 * g[f] * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g[f] + 0.044715 * g[f] * g[f] * g[f]))) * u[f];
                }
                double[] ff = rms(matvec(t.get(p + "ffn_down.weight"), g, DIM), t.get(p + "post_ffw_norm.weight"));
                for (int d = 0; d < DIM; d++) x[i][d] += ff[d];
            }
        }
        double[][] logits = new double[n][];
        for (int i = 0; i < n; i++) {
            logits[i] = matvec(t.get("token_embd.weight"), rms(x[i], t.get("output_norm.weight")), VOCAB);
            if (m.finalCap > 0) for (int v = 0; v < VOCAB; v++) logits[i][v] = m.finalCap * Math.tanh(logits[i][v] / m.finalCap);
        }
        return logits;
    }

    private static double[] rms(double[] x, float[] w) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double inv = 1 / Math.sqrt(ss / x.length + 1e-6);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] * inv * w[i];
        return out;
    }

    /** y = W x with W stored row-major [rows][x.length] (GGUF ne0 = x.length). */
    private static double[] matvec(float[] w, double[] x, int rows) {
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < x.length; c++) y[r] += w[r * x.length + c] * x[c];
        return y;
    }

    private static double[][] heads(double[] v, int n) {
        double[][] out = new double[n][HD];
        for (int h = 0; h < n; h++) System.arraycopy(v, h * HD, out[h], 0, HD);
        return out;
    }

    /** rotate_half RoPE: pairs (i, i + d/2), θ_i = pos · base^(−2i/d). */
    private static void ropeNeox(double[] x, int pos, double base) {
        for (int i = 0; i < HD / 2; i++) {
            double theta = pos * Math.pow(base, -2.0 * i / HD);
            double a = x[i], b = x[i + HD / 2];
            x[i] = a * Math.cos(theta) - b * Math.sin(theta);
            x[i + HD / 2] = a * Math.sin(theta) + b * Math.cos(theta);
        }
    }

    private static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * scale);
        return v;
    }

    private static float[] norm(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (1 + rnd.nextGaussian() * 0.1);
        return v;
    }
}
