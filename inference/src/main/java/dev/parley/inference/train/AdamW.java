package dev.parley.inference.train;

import java.util.List;

/** AdamW (decoupled weight decay on matrices only) with linear warmup, cosine decay to minLr, and global-norm clipping. */
final class AdamW {
    final float lr, minLr, beta1, beta2, eps, weightDecay;
    final int warmup, steps;

    AdamW(float lr, float minLr, int warmup, int steps, float weightDecay, float beta2) {
        this.lr = lr;
        this.minLr = minLr;
        this.warmup = warmup;
        this.steps = steps;
        this.weightDecay = weightDecay;
        this.beta1 = 0.9f;
        this.beta2 = beta2;
        this.eps = 1e-8f;
    }

    /** The learning rate at 0-based {@code step}. */
    float rate(int step) {
        if (step < warmup) return lr * (step + 1) / warmup;
        if (step >= steps) return minLr;
        double progress = (double) (step - warmup) / Math.max(1, steps - warmup);
        return (float) (minLr + 0.5 * (1 + Math.cos(Math.PI * progress)) * (lr - minLr));
    }

    /** Scales all gradients down so their global L2 norm is at most maxNorm; returns the norm before clipping. */
    static double clip(List<Param> params, double maxNorm) {
        double ss = 0;
        for (Param p : params) for (float g : p.grad()) ss += (double) g * g;
        double norm = Math.sqrt(ss);
        if (norm > maxNorm) {
            float s = (float) (maxNorm / norm);
            for (Param p : params) for (int i = 0; i < p.g.length; i++) p.g[i] *= s;
        }
        return norm;
    }

    /** One update at 0-based {@code step}. */
    void update(List<Param> params, int step) {
        float rate = rate(step);
        float c1 = (float) (1 - Math.pow(beta1, step + 1)), c2 = (float) (1 - Math.pow(beta2, step + 1));
        for (Param p : params) {
            float decay = p.isMatrix() ? 1 - rate * weightDecay : 1;
            float[] w = p.w, g = p.grad(), m = p.m(), v = p.v(); // the moments are allocated at the first update
            Pool.chunks(w.length, (from, to) -> {
                for (int i = from; i < to; i++) {
                    m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
                    w[i] = w[i] * decay - rate * (m[i] / c1) / ((float) Math.sqrt(v[i] / c2) + eps);
                }
            });
        }
    }
}
