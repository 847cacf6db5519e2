package dev.parley.inference.train;

import dev.parley.inference.tensor.TransposedProduct;

/** y = x·Wᵀ with x [n×in], W [out×in] (a GGUF weight's row-major layout), y [n×out]. */
final class MatMul {
    private MatMul() {}

    static void forward(float[] x, float[] w, float[] y, int n, int in, int out) {
        Pool.chunks(n, (from, to) -> {
            for (int t = from; t < to; t++)
                for (int o = 0; o < out; o++) y[t * out + o] = VecMath.dot(x, t * in, w, o * in, in);
        });
    }

    /**
     * dx += dy·W and dW += dyᵀ·x; dx is split by rows of x, dW by rows of W, so no two threads write the same value. A
     * null {@code dw} skips the weight gradient (a frozen weight).
     */
    static void backward(float[] x, float[] w, float[] dy, float[] dx, float[] dw, int n, int in, int out) {
        Pool.chunks(n, (from, to) -> {
            for (int t = from; t < to; t++)
                for (int o = 0; o < out; o++) VecMath.axpy(dy[t * out + o], w, o * in, dx, t * in, in);
        });
        if (dw == null) return;
        weightGradient(x, dy, dw, n, in, out, 0, out);
    }

    /** dW[o - from] += Σ_t dy[t][o]·x[t] for output rows o in [from, to) (dW holds those rows only). */
    private static void weightGradient(float[] x, float[] dy, float[] dw, int n, int in, int out, int from, int to) {
        Pool.chunks(to - from, (a, b) -> {
            for (int o = from + a; o < from + b; o++)
                for (int t = 0; t < n; t++) VecMath.axpy(dy[t * out + o], x, t * in, dw, (o - from) * in, in);
        });
    }

    /**
     * {@link #forward(float[], float[], float[], int, int, int)} with a {@link Param}: its frozen rows through the GGUF
     * format's batched kernel (weights decoded on the fly, F32 math), its F32 rows as above.
     */
    static void forward(float[] x, Param w, float[] y, int n, int in, int out) {
        if (w.frozen == null) {
            forward(x, w.w, y, n, in, out);
            return;
        }
        int frozenRows = w.frozenRows;
        Pool.chunks((frozenRows + 3) / 4, (from, to) -> w.frozen.matmul(x, in, n, y, out, 4 * from, Math.min(frozenRows, 4 * to)));
        if (frozenRows == out) return;
        Pool.chunks(n, (from, to) -> {
            for (int t = from; t < to; t++)
                for (int o = frozenRows; o < out; o++) y[t * out + o] = VecMath.dot(x, t * in, w.w, (o - frozenRows) * in, in);
        });
    }

    /**
     * {@link #backward(float[], float[], float[], float[], float[], int, int, int)} with a {@link Param}: the frozen rows'
     * share of dx by {@link TransposedProduct} in their GGUF format; the weight gradient of the F32 rows only, when the
     * tensor takes one.
     */
    static void backward(float[] x, Param w, float[] dy, float[] dx, int n, int in, int out) {
        if (w.frozen == null) {
            backward(x, w.w, dy, dx, w.grad(), n, in, out);
            return;
        }
        int frozenRows = w.frozenRows;
        Pool.chunks(n, (from, to) -> {
            TransposedProduct.addTo(w.frozen, dy, out, dx, in, from, to);
            for (int t = from; t < to; t++)
                for (int o = frozenRows; o < out; o++) VecMath.axpy(dy[t * out + o], w.w, (o - frozenRows) * in, dx, t * in, in);
        });
        float[] dw = w.grad();
        if (dw != null && frozenRows < out) weightGradient(x, dy, dw, n, in, out, frozenRows, out);
    }
}
