package dev.parley.inference.engine;

import dev.parley.inference.model.Pooling;

/**
 * An embedding sequence's output side: which of its positions' hidden states the model runner must return, and their
 * pooling as the steps deliver them. Rows arrive in position order whatever the chunking, and the mean is summed in
 * that order in double precision, so the vector does not depend on how the prompt was split into steps or which
 * other sequences shared them. Only the engine's worker thread uses it.
 */
final class Pooler {
    private final Pooling pooling;
    private final int dim;
    private final double[] sum;
    private int rows;

    Pooler(Pooling pooling, int dim) {
        this.pooling = pooling;
        this.dim = dim;
        this.sum = new double[dim];
    }

    /** Whether the hidden state at {@code position} of a sequence of {@code total} tokens is pooled. */
    boolean wants(int position, int total) {
        return switch (pooling) {
            case MEAN -> true;
            case CLS -> position == 0;
            case LAST -> position == total - 1;
        };
    }

    /**
     * Takes the hidden states a step computed for positions {@code from .. from+count-1}: the wanted ones are
     * consecutive rows of {@code hidden}, starting at row {@code firstRow}.
     */
    void accept(float[] hidden, int firstRow, int from, int count, int total) {
        int row = firstRow;
        for (int p = from; p < from + count; p++) {
            if (!wants(p, total)) continue;
            int off = row++ * dim;
            for (int i = 0; i < dim; i++) sum[i] += hidden[off + i];
            rows++;
        }
    }

    /** The cache was dropped (preemption): everything is computed again from position 0. */
    void reset() {
        java.util.Arrays.fill(sum, 0);
        rows = 0;
    }

    /** The pooled vector scaled to unit length (the mean points where the sum does; a zero vector stays zero). */
    float[] vector() {
        if (rows == 0) throw new IllegalStateException("no hidden state was pooled");
        double norm = 0;
        for (double v : sum) norm += v * v;
        norm = Math.sqrt(norm);
        float[] out = new float[dim];
        for (int i = 0; i < dim; i++) out[i] = norm > 0 ? (float) (sum[i] / norm) : 0f;
        return out;
    }
}
