package dev.parley.inference.train;

/** y = x / sqrt(mean(x²) + eps) · g per row of d values; the sum of squares in double, as the engine (and ggml) do. */
final class RmsNorm {
    private RmsNorm() {}

    /** Also stores each row's 1/rms in {@code rinv} for the backward pass. */
    static void forward(float[] x, float[] g, float[] y, float[] rinv, int n, int d, float eps) {
        for (int t = 0; t < n; t++) {
            int o = t * d;
            double ss = 0;
            for (int i = 0; i < d; i++) ss += (double) x[o + i] * x[o + i];
            float r = (float) (1.0 / Math.sqrt((float) (ss / d) + eps));
            rinv[t] = r;
            for (int i = 0; i < d; i++) y[o + i] = x[o + i] * r * g[i];
        }
    }

    /** dx += r·(g⊙dy) − r³/d · x · Σ(g⊙dy⊙x); dg += Σ_t dy⊙x·r (skipped when dg is null: a frozen gain). */
    static void backward(float[] x, float[] g, float[] rinv, float[] dy, float[] dx, float[] dg, int n, int d) {
        for (int t = 0; t < n; t++) {
            int o = t * d;
            float r = rinv[t];
            double s = 0;
            for (int i = 0; i < d; i++) {
                s += (double) g[i] * dy[o + i] * x[o + i];
                if (dg != null) dg[i] += dy[o + i] * x[o + i] * r;
            }
            float c = (float) (s * r * r * r / d);
            for (int i = 0; i < d; i++) dx[o + i] += r * g[i] * dy[o + i] - c * x[o + i];
        }
    }
}
