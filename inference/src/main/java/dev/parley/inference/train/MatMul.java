package dev.parley.inference.train;

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
        Pool.chunks(out, (from, to) -> {
            for (int o = from; o < to; o++)
                for (int t = 0; t < n; t++) VecMath.axpy(dy[t * out + o], x, t * in, dw, o * in, in);
        });
    }
}
