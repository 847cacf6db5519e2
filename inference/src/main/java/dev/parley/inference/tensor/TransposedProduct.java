package dev.parley.inference.tensor;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The transposed product with a weight matrix in its GGUF format, {@code dx += dy·W} for W [rows × cols]: what the
 * backward pass of {@code y = x·Wᵀ} needs for the input gradient when W is frozen (LoRA over a quantized base), without
 * a dequantized copy of the matrix.
 *
 * <p>Weight rows are decoded 4 at a time into a small f32 panel (4 × cols floats, L1/L2 resident) and each activation row
 * then takes 4 FMAs per loaded vector of {@code dx}. The folded formats (F32, F16 with whole-vector rows, Q8_0, Q4_0, Q6_K)
 * decode with their vector kernels ({@link WeightMatrix#decodeFolded}); the others fall back to the exact scalar
 * {@link WeightMatrix#dequantizeRow} per row, which is slower to decode but, like the vector path, never holds more than
 * four rows of the matrix in f32. Activation rows go in blocks whose {@code dx} fits in L2, so the decoded panel is
 * reused by a whole block before the next 4 rows are decoded.
 *
 * <p>A separate type rather than methods of {@link WeightMatrix}: the forward kernels stay as they are, and this product
 * depends on them only through the per-row decoders.
 */
public final class TransposedProduct {
    private static final VectorSpecies<Float> FLOATS = Simd.FLOATS;
    private static final int LANES = Simd.LANES;
    /** Bytes of {@code dx} one block of activation rows may span: half a typical 1 MB L2. */
    private static final int BLOCK_BYTES = 1 << 17;

    private TransposedProduct() {}

    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * {@code dx[t·dxStride + i] += Σ_r dy[t·dyStride + r] · W[r][i]} for activation rows t in [tFrom, tTo), all rows r
     * of {@code w} and i in [0, cols). Rows of {@code dx} are written only by the call that owns their t, so callers may
     * split [0, n) among threads.
     */
    public static void addTo(WeightMatrix w, float[] dy, int dyStride, float[] dx, int dxStride, int tFrom, int tTo) {
        int rows = w.rows, cols = w.cols;
        if (tFrom >= tTo) return;
        if (dyStride < rows || dxStride < cols) throw new IllegalArgumentException("dy stride " + dyStride + ", dx stride " + dxStride
                + " for " + w);
        Objects.checkFromToIndex(0, (long) (tTo - 1) * dyStride + rows, dy.length);
        Objects.checkFromToIndex(0, (long) (tTo - 1) * dxStride + cols, dx.length);
        Objects.checkIndex(tFrom, tTo);
        float[] panel = PANEL.get();
        if (panel.length < 4 * cols) PANEL.set(panel = new float[4 * cols]);
        boolean vectors = Simd.VECTORIZED;
        boolean folded = vectors && w.folded();
        int block = Math.max(4, BLOCK_BYTES / (4 * cols));
        for (int t0 = tFrom; t0 < tTo; t0 += block) {
            int t1 = Math.min(tTo, t0 + block);
            for (int r = 0; r < rows; r += 4) {
                int nr = Math.min(4, rows - r);
                for (int k = 0; k < nr; k++) {
                    if (folded) w.decodeFolded(r + k, panel, k * cols);
                    else w.dequantizeRow(r + k, panel, k * cols);
                }
                for (int k = nr; k < 4; k++) java.util.Arrays.fill(panel, k * cols, (k + 1) * cols, 0f);
                for (int t = t0; t < t1; t++) {
                    int g = t * dyStride + r;
                    float c0 = dy[g], c1 = nr > 1 ? dy[g + 1] : 0f, c2 = nr > 2 ? dy[g + 2] : 0f, c3 = nr > 3 ? dy[g + 3] : 0f;
                    if (c0 == 0f && c1 == 0f && c2 == 0f && c3 == 0f) continue; // masked rows: nothing to add
                    if (vectors) accumulate(panel, cols, c0, c1, c2, c3, dx, t * dxStride);
                    else for (int i = 0; i < cols; i++)
                        dx[t * dxStride + i] += c0 * panel[i] + c1 * panel[cols + i] + c2 * panel[2 * cols + i] + c3 * panel[3 * cols + i];
                }
            }
        }
    }

    /** dx[o + i] += c0·p[i] + c1·p[cols + i] + c2·p[2cols + i] + c3·p[3cols + i]: one load and store of dx per 4 FMAs. */
    private static void accumulate(float[] p, int cols, float c0, float c1, float c2, float c3, float[] dx, int o) {
        FloatVector v0 = FloatVector.broadcast(FLOATS, c0), v1 = FloatVector.broadcast(FLOATS, c1);
        FloatVector v2 = FloatVector.broadcast(FLOATS, c2), v3 = FloatVector.broadcast(FLOATS, c3);
        int p1 = cols, p2 = 2 * cols, p3 = 3 * cols, i = 0, bound = FLOATS.loopBound(cols);
        for (; i < bound; i += LANES) {
            FloatVector acc = FloatVector.fromArray(FLOATS, dx, o + i);
            acc = FloatVector.fromArray(FLOATS, p, i).fma(v0, acc);
            acc = FloatVector.fromArray(FLOATS, p, p1 + i).fma(v1, acc);
            acc = FloatVector.fromArray(FLOATS, p, p2 + i).fma(v2, acc);
            acc = FloatVector.fromArray(FLOATS, p, p3 + i).fma(v3, acc);
            acc.intoArray(dx, o + i);
        }
        for (; i < cols; i++) dx[o + i] += c0 * p[i] + c1 * p[p1 + i] + c2 * p[p2 + i] + c3 * p[p3 + i];
    }
}
