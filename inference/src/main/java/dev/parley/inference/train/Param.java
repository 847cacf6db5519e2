package dev.parley.inference.train;

/**
 * A trainable tensor under its GGUF name: values, gradient and AdamW moments, row-major [rows × cols] (a vector
 * has one row). Matrices get weight decay, norm gains don't.
 */
final class Param {
    final String name;
    final int rows, cols;
    final float[] w, g, m, v;

    Param(String name, int rows, int cols) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        int n = rows * cols;
        w = new float[n];
        g = new float[n];
        m = new float[n];
        v = new float[n];
    }

    boolean isMatrix() { return rows > 1; }
}
