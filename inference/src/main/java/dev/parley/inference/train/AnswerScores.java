package dev.parley.inference.train;

import java.util.Arrays;

/**
 * Answers scored from a forward pass's logits over a {@link PaddedBatch}: per sequence the log-probability of its counted
 * targets, the log-distributions behind them, the KL to a reference's, and the gradient of a weighted sum of the
 * log-probabilities, in double precision (one sequence, or one row, per task).
 */
final class AnswerScores {
    private AnswerScores() {}

    /**
     * Per sequence s: {@code logProb[s]} = Σ log p(target) over its counted rows; where {@code keep[s]} is not null the
     * row's log-distribution is copied into it (counted rows in order); where {@code ref[s]} is not null,
     * {@code kl[s]} = Σ over its counted rows of KL(p ‖ ref).
     */
    static void of(float[] logits, PaddedBatch p, int vocab, double[] logProb, float[][] keep, float[][] ref, double[] kl) {
        Pool.chunks(p.sequences(), (from, to) -> {
            for (int s = from; s < to; s++) {
                int k = 0;
                for (int j = 0; j < p.length(); j++) {
                    int row = s * p.length() + j, target = p.targets()[row], o = row * vocab;
                    if (target == CrossEntropy.IGNORED) continue;
                    double logZ = logSumExp(logits, o, vocab);
                    logProb[s] += logits[o + target] - logZ;
                    if (keep != null && keep[s] != null)
                        for (int v = 0; v < vocab; v++) keep[s][k * vocab + v] = (float) (logits[o + v] - logZ);
                    if (ref != null && ref[s] != null) {
                        double d = 0;
                        for (int v = 0; v < vocab; v++) {
                            // rounded to float as the reference's kept distribution was: a policy equal to its reference
                            // then has a KL of exactly 0, not ±1e-9 that prints as -0.0000
                            double lp = (float) (logits[o + v] - logZ);
                            d += Math.exp(lp) * (lp - ref[s][k * vocab + v]);
                        }
                        kl[s] += d;
                    }
                    k++;
                }
            }
        });
    }

    /**
     * Replaces the logits by the gradient of Σ_s weight[s]·logProb[s]: weight[s]·(onehot(target) − softmax) on sequence
     * s's counted rows, zero on every other row.
     */
    static void gradient(float[] logits, PaddedBatch p, int vocab, double[] weight) {
        Pool.chunks(p.sequences() * p.length(), (from, to) -> {
            for (int row = from; row < to; row++) {
                int target = p.targets()[row], o = row * vocab;
                if (target == CrossEntropy.IGNORED) {
                    Arrays.fill(logits, o, o + vocab, 0f);
                    continue;
                }
                double w = weight[row / p.length()], logZ = logSumExp(logits, o, vocab);
                for (int v = 0; v < vocab; v++) logits[o + v] = (float) (-w * Math.exp(logits[o + v] - logZ));
                logits[o + target] += (float) w;
            }
        });
    }

    private static double logSumExp(float[] logits, int o, int vocab) {
        float max = Float.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) max = Math.max(max, logits[o + v]);
        double sum = 0;
        for (int v = 0; v < vocab; v++) sum += Math.exp(logits[o + v] - max);
        return max + Math.log(sum);
    }
}
