package dev.parley.inference.train;

/**
 * Mean next-token cross-entropy over the counted rows of n rows of logits, and its gradient softmax − onehot(target)
 * divided by the number of counted rows. The target {@link #IGNORED} leaves its row out of the loss and gives
 * it a zero gradient: fine-tuning counts only the assistant's tokens, and padding counts nowhere.
 */
final class CrossEntropy {
    static final int IGNORED = -1;

    private CrossEntropy() {}

    /**
     * Returns the mean loss over the counted rows (0 when none counts); writes the gradient into {@code dlogits} when it is
     * not null (it may be {@code logits}).
     */
    static double lossAndGradient(float[] logits, int[] targets, int n, int vocab, float[] dlogits) {
        double[] rowLoss = new double[n];
        int counted = 0;
        for (int t = 0; t < n; t++) if (targets[t] != IGNORED) counted++;
        float perRow = 1f / Math.max(1, counted);
        Pool.chunks(n, (from, to) -> {
            for (int t = from; t < to; t++) {
                int o = t * vocab;
                if (targets[t] == IGNORED) {
                    if (dlogits != null) java.util.Arrays.fill(dlogits, o, o + vocab, 0f);
                    continue;
                }
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < vocab; i++) max = Math.max(max, logits[o + i]);
                double sum = 0;
                for (int i = 0; i < vocab; i++) sum += Math.exp(logits[o + i] - max);
                double logZ = max + Math.log(sum);
                rowLoss[t] = logZ - logits[o + targets[t]];
                if (dlogits != null) {
                    for (int i = 0; i < vocab; i++) dlogits[o + i] = (float) (Math.exp(logits[o + i] - logZ) * perRow);
                    dlogits[o + targets[t]] -= perRow;
                }
            }
        });
        double total = 0;
        for (double l : rowLoss) total += l;
        return total / Math.max(1, counted);
    }
}
