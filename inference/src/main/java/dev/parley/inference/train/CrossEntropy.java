package dev.parley.inference.train;

/** Mean next-token cross-entropy over n rows of logits, and its gradient softmax − onehot(target), divided by n. */
final class CrossEntropy {
    private CrossEntropy() {}

    /** Returns the mean loss; writes the gradient into {@code dlogits} when it is not null (it may be {@code logits}). */
    static double lossAndGradient(float[] logits, int[] targets, int n, int vocab, float[] dlogits) {
        double[] rowLoss = new double[n];
        Pool.chunks(n, (from, to) -> {
            for (int t = from; t < to; t++) {
                int o = t * vocab;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < vocab; i++) max = Math.max(max, logits[o + i]);
                double sum = 0;
                for (int i = 0; i < vocab; i++) sum += Math.exp(logits[o + i] - max);
                double logZ = max + Math.log(sum);
                rowLoss[t] = logZ - logits[o + targets[t]];
                if (dlogits != null) {
                    for (int i = 0; i < vocab; i++) dlogits[o + i] = (float) (Math.exp(logits[o + i] - logZ) / n);
                    dlogits[o + targets[t]] -= 1f / n;
                }
            }
        });
        double total = 0;
        for (double l : rowLoss) total += l;
        return total / n;
    }
}
