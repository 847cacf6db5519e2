package dev.parley.inference.train;

/**
 * Causal grouped-query self-attention over B sequences of T positions. q is [B·T × H·hd], k and v [B·T × KV·hd];
 * query head h reads kv head h / (H/KV). The softmax probabilities P [B×H×T×T] are kept for the backward pass.
 */
final class Attention {
    private Attention() {}

    static void forward(float[] q, float[] k, float[] v, float[] out, float[] probs, int b, int t, int heads, int kvHeads, int hd) {
        int qDim = heads * hd, kvDim = kvHeads * hd, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Pool.chunks(b * heads, (from, to) -> {
            for (int job = from; job < to; job++) {
                int s = job / heads, h = job % heads, kvOff = (h / group) * hd;
                for (int i = 0; i < t; i++) {
                    int qo = (s * t + i) * qDim + h * hd, po = (job * t + i) * t;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        float a = VecMath.dot(q, qo, k, (s * t + j) * kvDim + kvOff, hd) * scale;
                        probs[po + j] = a;
                        max = Math.max(max, a);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) {
                        probs[po + j] = (float) Math.exp(probs[po + j] - max);
                        sum += probs[po + j];
                    }
                    float inv = (float) (1.0 / sum);
                    java.util.Arrays.fill(out, qo, qo + hd, 0f);
                    for (int j = 0; j <= i; j++) {
                        probs[po + j] *= inv;
                        VecMath.axpy(probs[po + j], v, (s * t + j) * kvDim + kvOff, out, qo, hd);
                    }
                    java.util.Arrays.fill(probs, po + i + 1, po + t, 0f);
                }
            }
        });
    }

    /**
     * dq, dk, dv += the gradients. With dP = dout·vᵀ, dS = P⊙(dP − rowsum(P⊙dP)): dq = scale·dS·k, dk = scale·dSᵀ·q,
     * dv = Pᵀ·dout. Jobs are (sequence, kv head) so the heads sharing a kv head add into dk, dv on one thread.
     */
    static void backward(float[] q, float[] k, float[] v, float[] probs, float[] dout, float[] dq, float[] dk, float[] dv,
                         int b, int t, int heads, int kvHeads, int hd) {
        int qDim = heads * hd, kvDim = kvHeads * hd, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Pool.chunks(b * kvHeads, (from, to) -> {
            float[] dp = new float[t];
            for (int job = from; job < to; job++) {
                int s = job / kvHeads, kvOff = (job % kvHeads) * hd;
                for (int h = (job % kvHeads) * group; h < (job % kvHeads + 1) * group; h++) {
                    for (int i = 0; i < t; i++) {
                        int qo = (s * t + i) * qDim + h * hd, po = ((s * heads + h) * t + i) * t;
                        double rowSum = 0;
                        for (int j = 0; j <= i; j++) {
                            dp[j] = VecMath.dot(dout, qo, v, (s * t + j) * kvDim + kvOff, hd);
                            rowSum += probs[po + j] * dp[j];
                        }
                        for (int j = 0; j <= i; j++) {
                            int ko = (s * t + j) * kvDim + kvOff;
                            float p = probs[po + j];
                            float ds = p * (dp[j] - (float) rowSum) * scale;
                            VecMath.axpy(ds, k, ko, dq, qo, hd);
                            VecMath.axpy(ds, q, qo, dk, ko, hd);
                            VecMath.axpy(p, dout, qo, dv, ko, hd);
                        }
                    }
                }
            }
        });
    }
}
