package dev.parley.inference.train;

import dev.parley.inference.tensor.WeightMatrix;

/**
 * A tensor of the trainer under its GGUF name, row-major [rows × cols] (a vector has one row): its values, and for a
 * trainable one its gradient and AdamW moments, which are allocated when first used, so a frozen tensor costs only its
 * values. Matrices get weight decay, norm gains don't.
 *
 * <p>The first {@link #frozenRows} rows may be a {@link WeightMatrix} bound in place to a GGUF file, in its own format
 * (F32, F16 or quantized), frozen; {@link #w} (and the gradient) then hold only the rows after them. A LoRA base keeps its
 * projections that way, and its token embedding too, with the rows of tokens the tuning added in {@link #w}.
 */
final class Param {
    final String name;
    final int rows, cols;
    /** Rows [frozenRows, rows), or all rows when {@link #frozen} is null. */
    final float[] w;
    /** Rows [0, frozenRows) in their GGUF format, or null. */
    final WeightMatrix frozen;
    final int frozenRows;
    /** Gradient (of {@link #w}'s rows) and AdamW moments; null until first used. */
    float[] g, m, v;
    /** Whether the backward pass skips this tensor's gradient (a frozen weight); {@link #grad()} is then null. */
    boolean noGradient;

    Param(String name, int rows, int cols) {
        this(name, rows, cols, null);
    }

    /** A tensor whose first {@code frozen.rows()} rows are {@code frozen} (null: none), the rest F32 values. */
    Param(String name, int rows, int cols, WeightMatrix frozen) {
        if (frozen != null && (frozen.cols() != cols || frozen.rows() > rows))
            throw new IllegalArgumentException(name + ": frozen " + frozen + " does not fit [" + rows + " × " + cols + "]");
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        this.frozen = frozen;
        this.frozenRows = frozen == null ? 0 : frozen.rows();
        this.w = new float[(rows - frozenRows) * cols];
        this.noGradient = frozen != null && w.length == 0;
    }

    boolean isMatrix() { return rows > 1; }

    /** The gradient of {@link #w}'s values, allocated (zero) on first use; null when the tensor gets none. */
    float[] grad() {
        if (noGradient) return null;
        if (g == null) g = new float[w.length];
        return g;
    }

    /** AdamW's first moment, allocated on first use. */
    float[] m() {
        if (m == null) m = new float[w.length];
        return m;
    }

    /** AdamW's second moment, allocated on first use. */
    float[] v() {
        if (v == null) v = new float[w.length];
        return v;
    }

    /** Row {@code r} into {@code dst[off .. off + cols)}. */
    void row(int r, float[] dst, int off) {
        if (r < frozenRows) frozen.dequantizeRow(r, dst, off);
        else System.arraycopy(w, (r - frozenRows) * cols, dst, off, cols);
    }

    /** All values as one F32 array: {@link #w} itself when nothing is frozen, else a new array (the rows dequantized). */
    float[] dense() {
        if (frozen == null) return w;
        float[] all = new float[rows * cols];
        for (int r = 0; r < rows; r++) row(r, all, r * cols);
        return all;
    }
}
