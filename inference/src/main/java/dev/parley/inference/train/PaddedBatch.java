package dev.parley.inference.train;

import java.util.Arrays;
import java.util.List;

/**
 * Examples side by side for one forward pass: {@code sequences} rows of {@code length} tokens, each example's tokens
 * from the left, padding after. Position j predicts token j+1 and counts (has a target) only when that token is
 * learned; everything else, padding included, is {@link CrossEntropy#IGNORED}.
 */
record PaddedBatch(int[] tokens, int[] targets, int sequences, int length) {
    static PaddedBatch of(List<ChatEncoder.Example> examples) {
        int t = 0;
        for (ChatEncoder.Example ex : examples) t = Math.max(t, ex.tokens().length - 1);
        int b = examples.size();
        int[] tokens = new int[b * t], targets = new int[b * t];
        Arrays.fill(targets, CrossEntropy.IGNORED);
        for (int s = 0; s < b; s++) {
            int[] ids = examples.get(s).tokens();
            boolean[] learned = examples.get(s).learned();
            for (int j = 0; j + 1 < ids.length; j++) {
                tokens[s * t + j] = ids[j];
                if (learned[j + 1]) targets[s * t + j] = ids[j + 1];
            }
        }
        return new PaddedBatch(tokens, targets, b, t);
    }

    /** How many of sequence {@code s}'s positions count (have a target). */
    int counted(int s) {
        int n = 0;
        for (int j = s * length; j < (s + 1) * length; j++) if (targets[j] != CrossEntropy.IGNORED) n++;
        return n;
    }
}
