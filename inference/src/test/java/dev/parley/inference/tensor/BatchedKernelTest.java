package dev.parley.inference.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The batched kernels (4x4 tiles, ragged tails repeated) against looping {@code dot} over the same pairs. The tiles
 * keep each pair's integer block sums and their scaling; only the order of float additions may differ (the final
 * lane reduction), so a pair agrees to 1e-6 of the sum of |w·x| of its row.
 */
class BatchedKernelTest {
    private static final int ROWS = 11; // 2 full row tiles and a tail of 3

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void batchedMatmulEqualsLoopedDot(GgmlType type) {
        Random rnd = new Random(300 + type.ordinal());
        for (int cols : TestData.lengths(type)) {
            // n past WeightMatrix.PANEL_MIN, with a tail of activation rows
            checkAgainstDot(type, cols, IntStream.rangeClosed(1, 13).toArray(), rnd);
        }
    }

    /**
     * Prompt-sized batches of long rows take the K-blocked panel at 16 lanes (WeightMatrix.BLOCKED_MIN, PANEL_BLOCK):
     * more than two column blocks and a short last one, a tail group of one activation row.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_K", "Q6_K", "F32", "F16"})
    void blockedPanelEqualsLoopedDot(GgmlType type) {
        int cols = type.blockSize == 32 ? 2080 : 2304;
        checkAgainstDot(type, cols, new int[] {WeightMatrix.BLOCKED_MIN, WeightMatrix.BLOCKED_MIN + 1}, new Random(400 + type.ordinal()));
        // F32/F16 take the panel at 16 lanes only from BLOCKED_MIN rows: short rows (unblocked panel) and one row fewer
        // (direct 4x4 tile) must agree with dot as well
        if (type.blockSize == 1) {
            checkAgainstDot(type, 768, new int[] {WeightMatrix.BLOCKED_MIN - 1, WeightMatrix.BLOCKED_MIN}, new Random(500 + type.ordinal()));
        }
    }

    private static void checkAgainstDot(GgmlType type, int cols, int[] batchSizes, Random rnd) {
        WeightMatrix m = WeightMatrix.of(type, TestData.randomMatrix(type, ROWS, cols, rnd), ROWS, cols);
        int xStride = cols + 3, outStride = ROWS + 2;
        for (int n : batchSizes) {
            float[] x = TestData.randomVector(n * xStride, rnd);
            QuantizedActivation[] xs = new QuantizedActivation[n];
            for (int t = 0; t < n; t++) {
                xs[t] = new QuantizedActivation(cols);
                xs[t].quantize(m.activationType(), x, t * xStride, cols);
            }
            // rows 1..ROWS-1: a range that starts off a tile boundary
            float[] outQ = new float[n * outStride], outF = new float[n * outStride];
            m.matmul(xs, n, outQ, outStride, 1, ROWS);
            m.matmul(x, xStride, n, outF, outStride, 1, ROWS);
            for (int t = 0; t < n; t++) {
                assertEquals(0f, outQ[t * outStride], "row 0 is outside the range");
                for (int r = 1; r < ROWS; r++) {
                    // not 0: FloatVector.reduceLanes(ADD) sums lanes in order before C2 compiles a kernel and as a
                    // tree after, so two kernels agree bit for bit only once both are compiled
                    double tol = 1e-6 * Reference.absDot(m, r, x, t * xStride) + 1e-30;
                    String at = type + " cols=" + cols + " n=" + n + " t=" + t + " r=" + r;
                    assertEquals(m.dot(r, xs[t]), outQ[t * outStride + r], tol, at + " (ggml)");
                    assertEquals(m.dot(r, x, t * xStride), outF[t * outStride + r], tol, at + " (f32)");
                }
            }
        }
    }
}
