package dev.parley.inference.model;

import dev.parley.inference.tensor.QuantizedActivation;

/**
 * Activations of one batched step, kept between steps so the hot loop allocates nothing; they grow (never shrink)
 * when a step has more rows than any before.
 */
public final class ForwardBuffers {
    private final ModelConfig c;
    int rows;
    float[] x, xb, q, k, v, att, gate, up, normed, logits, hidden;
    float[][] logitRows = new float[0][];
    QuantizedActivation[] quantized = new QuantizedActivation[0];

    public ForwardBuffers(ModelConfig c) {
        this.c = c;
    }

    /**
     * The final normed hidden states of the last step's rows flagged for them, one {@code dim}-wide row each in row
     * order; overwritten by the next step.
     */
    public float[] hiddenStates() { return hidden; }

    /** Makes room for {@code n} rows, {@code logitCount} of them with logits. */
    void ensure(int n, int logitCount) {
        if (n > rows) {
            int r = Math.max(n, rows * 2);
            x = new float[r * c.dim()];
            xb = new float[r * c.dim()];
            normed = new float[r * c.dim()];
            hidden = new float[r * c.dim()];
            q = new float[r * c.qDim()];
            att = new float[r * c.qDim()];
            k = new float[r * c.kvDim()];
            v = new float[r * c.kvDim()];
            gate = new float[r * c.ffnDim()];
            up = new float[r * c.ffnDim()];
            int width = Math.max(c.ffnDim(), Math.max(c.dim(), c.qDim()));
            QuantizedActivation[] qa = new QuantizedActivation[r];
            for (int i = 0; i < r; i++) qa[i] = i < quantized.length ? quantized[i] : new QuantizedActivation(width);
            quantized = qa;
            rows = r;
        }
        if (logitCount > logitRows.length) {
            float[][] lr = new float[Math.max(logitCount, logitRows.length * 2)][];
            for (int i = 0; i < lr.length; i++) lr[i] = i < logitRows.length ? logitRows[i] : new float[c.vocabSize()];
            logitRows = lr;
            logits = new float[lr.length * c.vocabSize()];
        }
    }
}
