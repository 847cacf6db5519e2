package dev.parley.inference.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Vector kernels against the scalar references, on random valid blocks, for every format and several lengths. */
class KernelTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void f32DotMatchesScalarDotOfDequantizedRow(GgmlType t) {
        Random r = new Random(t.ordinal());
        for (int cols : TestData.lengths(t)) {
            int rows = 3;
            WeightMatrix m = WeightMatrix.of(t, TestData.randomMatrix(t, rows, cols, r), rows, cols);
            float[] x = TestData.randomVector(cols + 5, r);
            float[] out = new float[rows];
            m.matvec(java.util.Arrays.copyOf(x, cols), null, out, 0, rows);
            for (int row = 0; row < rows; row++) {
                double ref = Reference.dotF32(m, row, x, 5 % (x.length - cols + 1));
                float got = m.dot(row, x, 5 % (x.length - cols + 1));
                double tol = 1e-5 * Reference.absDot(m, row, x, 5 % (x.length - cols + 1)) + 1e-30;
                assertEquals(ref, got, tol, t + " cols=" + cols + " row=" + row);
                assertEquals(Reference.dotF32(m, row, x, 0), out[row], 1e-5 * Reference.absDot(m, row, x, 0) + 1e-30);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void quantizedDotMatchesScalarIntegerReference(GgmlType t) {
        Random r = new Random(100 + t.ordinal());
        for (int cols : TestData.lengths(t)) {
            int rows = 3;
            WeightMatrix m = WeightMatrix.of(t, TestData.randomMatrix(t, rows, cols, r), rows, cols);
            float[] x = TestData.randomVector(cols, r);
            QuantizedActivation qx = new QuantizedActivation(cols + 256);
            qx.quantize(m.activationType(), x, 0, cols);
            float[] out = new float[rows];
            m.matvec(x, qx, out, 0, rows);
            for (int row = 0; row < rows; row++) {
                double ref = Reference.dotQ(m, row, qx);
                double tol = 1e-5 * Reference.absDot(m, row, x, 0) + 1e-30;
                assertEquals(ref, m.dot(row, qx), tol, t + " cols=" + cols + " row=" + row);
                assertEquals(ref, out[row], tol);
            }
        }
    }

    /**
     * The ggml path differs from the exact F32 one only by the activation rounding: at most about half a quantum
     * per value (Q8_0/Q8_1 quantum d = amax/127 stored as half, Q8_K d = amax/127 float; F16/BF16 relative 2^-11 /
     * 2^-8), times |w|, plus Q8_1's s rounded to half.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void quantizedDotIsCloseToExactDot(GgmlType t) {
        Random r = new Random(200 + t.ordinal());
        for (int cols : TestData.lengths(t)) {
            WeightMatrix m = WeightMatrix.of(t, TestData.randomMatrix(t, 2, cols, r), 2, cols);
            float[] x = TestData.randomVector(cols, r);
            QuantizedActivation qx = new QuantizedActivation(cols);
            GgmlType at = m.activationType();
            qx.quantize(at, x, 0, cols);
            float[] w = new float[cols];
            for (int row = 0; row < 2; row++) {
                m.dequantizeRow(row, w, 0);
                double bound = 0;
                int block = switch (at) {
                    case Q8_0, Q8_1 -> 32;
                    case Q8_K -> 256;
                    default -> 1;
                };
                for (int b = 0; b < cols / block; b++) {
                    double amax = 0, wsum = 0, wxsum = 0;
                    for (int j = b * block; j < (b + 1) * block; j++) {
                        amax = Math.max(amax, Math.abs(x[j]));
                        wsum += Math.abs(w[j]);
                        wxsum += Math.abs(w[j] * x[j]);
                    }
                    bound += switch (at) {
                        case F32 -> 0;
                        case F16 -> wxsum * 0x1p-11;
                        case BF16 -> wxsum * 0x1p-8;
                        case Q8_K -> wsum * amax / 127 * 0.51;
                        default -> wsum * amax / 127 * 0.57; // 0.5 quantum + the half rounding of d (127 * 2^-11)
                    };
                    if (at == GgmlType.Q8_1) bound += Math.abs(qx.sum(b)) * 0x1p-11 * 40; // |m| <= 2^-3 * 32 values... generous
                }
                double exact = Reference.dotF32(m, row, x, 0);
                bound += 1e-5 * Reference.absDot(m, row, x, 0);
                float got = m.dot(row, qx);
                assertTrue(Math.abs(got - exact) <= bound, t + " cols=" + cols + ": |" + got + " - " + exact + "| > " + bound);
                if (at != GgmlType.F32 && cols >= 64) {
                    // and the activation rounding is actually there (guards against a path that ignores qx)
                    assertTrue(got != (float) exact || at == GgmlType.F32, t + " cols=" + cols);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "Q8_0", "Q4_1", "Q6_K"})
    void rejectsWrongActivation(GgmlType t) {
        int cols = Math.max(64, t.blockSize * 2);
        WeightMatrix m = WeightMatrix.of(t, TestData.randomMatrix(t, 1, cols, new Random(1)), 1, cols);
        QuantizedActivation qx = new QuantizedActivation(cols);
        GgmlType wrong = m.activationType() == GgmlType.Q8_0 ? GgmlType.Q8_1 : GgmlType.Q8_0;
        qx.quantize(wrong, new float[cols], 0, cols);
        assertThrows(IllegalArgumentException.class, () -> m.dot(0, qx));
        qx.quantize(m.activationType(), new float[cols], 0, cols / 2);
        assertThrows(IllegalArgumentException.class, () -> m.dot(0, qx));
        qx.quantize(m.activationType(), new float[cols], 0, cols);
        assertEquals(0f, m.dot(0, qx));
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "Q4_0", "Q5_K"})
    void readsTheRightRowOfALargerMatrix(GgmlType t) {
        Random r = new Random(9);
        int cols = t.blockSize == 1 ? 48 : 2 * t.blockSize, rows = 5;
        MemorySegment s = TestData.randomMatrix(t, rows, cols, r);
        WeightMatrix m = WeightMatrix.of(t, s, rows, cols);
        float[] x = TestData.randomVector(cols, r);
        for (int row = 0; row < rows; row++) {
            WeightMatrix single = WeightMatrix.of(t, s.asSlice(row * t.bytesFor(cols), t.bytesFor(cols)), 1, cols);
            assertEquals(single.dot(0, x, 0), m.dot(row, x, 0));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> m.dot(rows, x, 0));
    }
}
