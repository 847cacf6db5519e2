package dev.parley.inference.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * {@link TransposedProduct}: dx += dy·W in every weight format, against the same sum over the exactly dequantized rows,
 * and as the gradient of the forward product x·Wᵀ by central finite differences through {@link WeightMatrix#matmul}.
 */
class TransposedProductTest {
    private static final int ROWS = 11; // 2 full panels of 4 weight rows and a tail of 3

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void equalsTheSumOverDequantizedRows(GgmlType type) {
        Random rnd = new Random(500 + type.ordinal());
        for (int cols : TestData.lengths(type)) {
            WeightMatrix m = WeightMatrix.of(type, TestData.randomMatrix(type, ROWS, cols, rnd), ROWS, cols);
            float[][] w = new float[ROWS][cols];
            for (int r = 0; r < ROWS; r++) m.dequantizeRow(r, w[r], 0);
            int n = 7, dyStride = ROWS + 2, dxStride = cols + 5;
            float[] dy = TestData.randomVector(n * dyStride, rnd);
            for (int r = 0; r < ROWS; r++) dy[2 * dyStride + r] = 0f; // a masked row: skipped, must stay as it was
            float[] start = TestData.randomVector(n * dxStride, rnd), dx = start.clone();
            TransposedProduct.addTo(m, dy, dyStride, dx, dxStride, 1, n); // row 0 is outside the range
            for (int t = 0; t < n; t++)
                for (int i = 0; i < dxStride; i++) {
                    double expected = start[t * dxStride + i], abs = Math.abs(expected);
                    if (t >= 1 && i < cols)
                        for (int r = 0; r < ROWS; r++) {
                            expected += (double) dy[t * dyStride + r] * w[r][i];
                            abs += Math.abs((double) dy[t * dyStride + r] * w[r][i]);
                        }
                    assertEquals(expected, dx[t * dxStride + i], 1e-5 * abs + 1e-30, type + " cols " + cols + " t " + t + " i " + i);
                }
        }
    }

    /** L(x) = Σ_t Σ_r g[t][r]·(x·Wᵀ)[t][r]; dL/dx = g·W, which is what the transposed product adds to a zero dx. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "Q8_0", "Q4_0", "Q4_1", "Q6_K"})
    void isTheGradientOfTheForwardProduct(GgmlType type) {
        Random rnd = new Random(700 + type.ordinal());
        int cols = type.blockSize == 1 ? 48 : type.blockSize * 2, rows = 9, n = 5;
        WeightMatrix m = WeightMatrix.of(type, TestData.randomMatrix(type, rows, cols, rnd), rows, cols);
        float[] x = TestData.randomVector(n * cols, rnd), g = TestData.randomVector(n * rows, rnd);
        float[] analytic = new float[n * cols];
        TransposedProduct.addTo(m, g, rows, analytic, cols, 0, n);
        float eps = 0.25f; // large: the loss is linear in x, so only the forward sums' rounding limits the agreement
        double worst = 0;
        for (int s = 0; s < 40; s++) {
            int i = rnd.nextInt(x.length);
            float saved = x[i];
            x[i] = saved + eps;
            double plus = weighted(m, x, g, n);
            x[i] = saved - eps;
            double minus = weighted(m, x, g, n);
            x[i] = saved;
            double numeric = (plus - minus) / (2.0 * eps);
            double err = Math.abs(numeric - analytic[i]) / Math.max(1.0, Math.abs(numeric));
            worst = Math.max(worst, err);
        }
        // the loss is linear in x: the differences are exact but for float rounding of the forward sums
        assertTrue(worst < 2e-3, type + ": worst relative error " + worst);
    }

    private static double weighted(WeightMatrix m, float[] x, float[] g, int n) {
        float[] y = new float[n * m.rows()];
        m.matmul(x, m.cols(), n, y, m.rows(), 0, m.rows());
        double s = 0;
        for (int i = 0; i < y.length; i++) s += (double) y[i] * g[i];
        return s;
    }

    @Test void refusesStridesThatDoNotFitTheMatrix() {
        WeightMatrix m = WeightMatrix.of(GgmlType.Q8_0, TestData.randomMatrix(GgmlType.Q8_0, 4, 32, new Random(1)), 4, 32);
        assertThrows(IllegalArgumentException.class, () -> TransposedProduct.addTo(m, new float[12], 3, new float[64], 32, 0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> TransposedProduct.addTo(m, new float[4], 4, new float[64], 32, 0, 2));
    }
}
