package dev.parley.inference.train;

import static dev.parley.inference.train.GradientCheck.check;
import static dev.parley.inference.train.GradientCheck.random;
import static dev.parley.inference.train.GradientCheck.weighted;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Every op's backward against central finite differences of its forward. */
class OpGradientTest {
    private static final float EPS = 1e-2f;
    private static final double TOL = 5e-3;
    private final SplittableRandom rnd = new SplittableRandom(7);

    @Test void matmul() {
        int n = 5, in = 37, out = 19; // odd sizes exercise the Vector API tails
        float[] x = random(rnd, n * in, 1), w = random(rnd, out * in, 0.3), r = random(rnd, n * out, 1);
        float[] dx = new float[x.length], dw = new float[w.length], y = new float[n * out];
        MatMul.backward(x, w, r, dx, dw, n, in, out);
        Runnable f = () -> MatMul.forward(x, w, y, n, in, out);
        check("matmul.x", x, dx, () -> { f.run(); return weighted(y, r); }, 60, EPS, TOL);
        check("matmul.w", w, dw, () -> { f.run(); return weighted(y, r); }, 60, EPS, TOL);
    }

    @Test void rmsNorm() {
        int n = 4, d = 24;
        float[] x = random(rnd, n * d, 1), g = random(rnd, d, 1), r = random(rnd, n * d, 1);
        float[] y = new float[n * d], rinv = new float[n], dx = new float[x.length], dg = new float[d];
        RmsNorm.forward(x, g, y, rinv, n, d, 1e-5f);
        RmsNorm.backward(x, g, rinv, r, dx, dg, n, d);
        Runnable f = () -> RmsNorm.forward(x, g, y, rinv, n, d, 1e-5f);
        check("rmsnorm.x", x, dx, () -> { f.run(); return weighted(y, r); }, 96, EPS, TOL);
        check("rmsnorm.g", g, dg, () -> { f.run(); return weighted(y, r); }, 24, EPS, TOL);
    }

    @Test void rope() {
        int seqLen = 6, n = 12, heads = 3, hd = 8;
        Rope rope = new Rope(seqLen, hd, 10000f);
        float[] x0 = random(rnd, n * heads * hd, 1), r = random(rnd, x0.length, 1);
        float[] dx = r.clone();
        rope.backward(dx, n, seqLen, heads);
        float[] x = x0.clone();
        check("rope.x", x, dx, () -> {
            float[] y = x.clone();
            rope.forward(y, n, seqLen, heads);
            return weighted(y, r);
        }, 100, EPS, TOL);
    }

    @Test void attention() {
        int b = 2, t = 5, heads = 4, kvHeads = 2, hd = 8;
        int qn = b * t * heads * hd, kvn = b * t * kvHeads * hd;
        float[] q = random(rnd, qn, 1), k = random(rnd, kvn, 1), v = random(rnd, kvn, 1), r = random(rnd, qn, 1);
        float[] out = new float[qn], probs = new float[b * heads * t * t];
        float[] dq = new float[qn], dk = new float[kvn], dv = new float[kvn];
        Attention.forward(q, k, v, out, probs, b, t, heads, kvHeads, hd);
        Attention.backward(q, k, v, probs, r, dq, dk, dv, b, t, heads, kvHeads, hd);
        Runnable f = () -> Attention.forward(q, k, v, out, probs, b, t, heads, kvHeads, hd);
        check("attention.q", q, dq, () -> { f.run(); return weighted(out, r); }, 120, EPS, TOL);
        check("attention.k", k, dk, () -> { f.run(); return weighted(out, r); }, 120, EPS, TOL);
        check("attention.v", v, dv, () -> { f.run(); return weighted(out, r); }, 120, EPS, TOL);
    }

    @Test void swiGlu() {
        int n = 50;
        float[] a = random(rnd, n, 2), b = random(rnd, n, 1), r = random(rnd, n, 1);
        float[] h = new float[n], da = new float[n], db = new float[n];
        SwiGlu.backward(a, b, r, da, db, n);
        check("swiglu.a", a, da, () -> { SwiGlu.forward(a, b, h, n); return weighted(h, r); }, n, EPS, TOL);
        check("swiglu.b", b, db, () -> { SwiGlu.forward(a, b, h, n); return weighted(h, r); }, n, EPS, TOL);
    }

    @Test void crossEntropy() {
        int n = 4, vocab = 11;
        float[] logits = random(rnd, n * vocab, 2);
        int[] targets = {3, 0, 10, 5};
        float[] grad = new float[logits.length];
        CrossEntropy.lossAndGradient(logits, targets, n, vocab, grad);
        check("crossentropy.logits", logits, grad, () -> CrossEntropy.lossAndGradient(logits, targets, n, vocab, null), 44, EPS, TOL);
    }
}
