package dev.parley.inference.train;

/** h = silu(a) ⊙ b, the gated feed-forward's non-linearity (silu(a) = a·σ(a)). */
final class SwiGlu {
    private SwiGlu() {}

    static void forward(float[] a, float[] b, float[] h, int n) {
        for (int i = 0; i < n; i++) h[i] = a[i] / (1f + (float) Math.exp(-a[i])) * b[i];
    }

    /** da = dh·b·σ(a)(1 + a(1−σ(a))), db = dh·silu(a); overwrites da and db. */
    static void backward(float[] a, float[] b, float[] dh, float[] da, float[] db, int n) {
        for (int i = 0; i < n; i++) {
            float sig = 1f / (1f + (float) Math.exp(-a[i]));
            db[i] = dh[i] * a[i] * sig;
            da[i] = dh[i] * b[i] * sig * (1f + a[i] * (1f - sig));
        }
    }
}
