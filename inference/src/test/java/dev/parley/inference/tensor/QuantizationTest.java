package dev.parley.inference.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Activation conversion (ggml's CPU quantize_row_*) and reference weight quantization (quantize_row_*_ref). */
class QuantizationTest {

    /** 127 sets amax so that d = 1 (half 0x3C00) and the multiplier is exactly 1: x*id are the halves themselves. */
    private static float[] halves() {
        float[] x = new float[32];
        float[] head = {127f, 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, -126.5f, 3.49f};
        System.arraycopy(head, 0, x, 0, head.length);
        return x;
    }

    @Test
    void q8_0ActivationRoundsHalfToEvenLikeTheAvxPath() {
        QuantizedActivation q = new QuantizedActivation(64);
        q.quantize(GgmlType.Q8_0, halves(), 0, 32);
        assertEquals((short) 0x3C00, q.scaleBits(0));
        int[] expected = {127, 0, 2, 2, 0, -2, -126, 3};
        for (int j = 0; j < expected.length; j++) assertEquals(expected[j], q.quant(j), "quant " + j);
        for (int j = expected.length; j < 32; j++) assertEquals(0, q.quant(j));
    }

    @Test
    void q8_0ActivationScaleAndMultiplier() {
        // x_j = j - 16: amax 16, d = 16/127 = 0.1259842... -> half 0x3008 (0.125 * (1 + 8/1024)); multiplier 127/16
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = j - 16;
        QuantizedActivation q = new QuantizedActivation(32);
        q.quantize(GgmlType.Q8_0, x, 0, 32);
        assertEquals((short) 0x3008, q.scaleBits(0));
        assertEquals(0.1259765625f, q.scale(0));
        assertEquals(-127, q.quant(0));  // -16 * 7.9375
        assertEquals(-119, q.quant(1));  // -15 * 7.9375 = -119.0625
        assertEquals(-111, q.quant(2));  // -14 * 7.9375 = -111.125
        assertEquals(0, q.quant(16));
        assertEquals(119, q.quant(31));  // 15 * 7.9375
        // an all-zero block: d = 0, quants 0
        q.quantize(GgmlType.Q8_0, new float[32], 0, 32);
        assertEquals((short) 0, q.scaleBits(0));
        assertEquals(0, q.quant(5));
    }

    @Test
    void q8_1ActivationCarriesScaledSum() {
        QuantizedActivation q = new QuantizedActivation(32);
        q.quantize(GgmlType.Q8_1, halves(), 0, 32);
        // quants sum: 127 + 0 + 2 + 2 + 0 - 2 - 126 + 3 = 6; s = half(1 * 6)
        assertEquals(6f, q.sum(0));
        assertEquals(1f, q.scale(0));
    }

    @Test
    void q8_KActivationUsesSignedMaxAndNearestInt() {
        float[] x = new float[256];
        x[0] = 1f;
        x[1] = 3f;
        x[2] = 5f;
        x[3] = -254f; // largest magnitude, negative: iscale = -127/-254 = 0.5, d = 2
        x[17] = 7f;
        QuantizedActivation q = new QuantizedActivation(256);
        q.quantize(GgmlType.Q8_K, x, 0, 256);
        assertEquals(2f, q.scale(0));
        assertEquals(0, q.quant(0));    // 0.5 -> 0 (nearest even)
        assertEquals(2, q.quant(1));    // 1.5 -> 2
        assertEquals(2, q.quant(2));    // 2.5 -> 2
        assertEquals(-127, q.quant(3));
        assertEquals(0 + 2 + 2 - 127, q.bsum(0));
        assertEquals(4, q.bsum(1));     // 3.5 -> 4
        x[3] = 254f; // positive max: iscale negative, d = -2, quants flip sign
        q.quantize(GgmlType.Q8_K, x, 0, 256);
        assertEquals(-2f, q.scale(0));
        assertEquals(-127, q.quant(3));
        assertEquals(-2, q.quant(1));   // -1.5 -> -2
        assertEquals(-4, q.quant(17));  // -3.5 -> -4
    }

    @Test
    void f16AndBf16Activations() {
        float[] x = {1f + 0x1p-11f, 1f + 0x1p-11f + 0x1p-20f, 1f + 0x1p-8f, 1f + 0x1p-8f + 0x1p-20f, 65520f, Float.NaN};
        QuantizedActivation q = new QuantizedActivation(8);
        q.quantize(GgmlType.F16, x, 0, 5);
        assertEquals(1f, q.value(0));                 // tie -> even
        assertEquals(1f + 0x1p-10f, q.value(1));      // above the tie -> up
        assertEquals(Float.POSITIVE_INFINITY, q.value(4)); // 65520 rounds past the largest half
        q.quantize(GgmlType.BF16, x, 0, 6);
        assertEquals(1f, q.value(0));                 // below bf16 precision
        assertEquals(1f, q.value(2));                 // bf16 tie -> even
        assertEquals(1f + 0x1p-7f, q.value(3));
        assertTrue(Float.isNaN(q.value(5)));
        assertEquals((short) 0x7FC0, Numbers.toBf16(Float.intBitsToFloat(0x7F800001))); // signalling NaN made quiet
        assertThrows(IllegalArgumentException.class, () -> q.quantize(GgmlType.Q8_0, x, 0, 5));
        assertThrows(IllegalArgumentException.class, () -> q.quantize(GgmlType.Q4_0, x, 0, 0));
    }

    @Test
    void quantizerQ8_0UsesRoundfLikeTheReference() {
        MemorySegment s = TestData.unaligned(34);
        Quantizer.quantize(GgmlType.Q8_0, halves(), 32, s, 0);
        assertEquals((short) 0x3C00, s.get(Numbers.LE_SHORT, 0));
        int[] expected = {127, 1, 2, 3, -1, -3, -127, 3}; // roundf: halves away from zero
        for (int j = 0; j < expected.length; j++) assertEquals(expected[j], s.get(ValueLayout.JAVA_BYTE, 2 + j), "quant " + j);
    }

    @Test
    void quantizerQ4_0KnownBlock() {
        float[] x = new float[32];
        x[0] = -16f; // signed max: d = -16 / -8 = 2, maps to nibble 0
        x[1] = 14f;  // 14 / 2 = 7 -> (int)(7 + 8.5) = 15
        x[16] = 16f; // 16 / 2 = 8 -> 16.5 -> clamped to 15
        x[17] = 1f;  // 0.5 + 8.5 = 9
        MemorySegment s = TestData.unaligned(18);
        Quantizer.quantize(GgmlType.Q4_0, x, 32, s, 0);
        assertEquals((short) 0x4000, s.get(Numbers.LE_SHORT, 0));
        assertEquals(0xF0, s.get(ValueLayout.JAVA_BYTE, 2) & 0xFF);
        assertEquals(0x9F, s.get(ValueLayout.JAVA_BYTE, 3) & 0xFF);
        assertEquals(0x88, s.get(ValueLayout.JAVA_BYTE, 4) & 0xFF);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void roundTripErrorIsWithinHalfAQuantum(GgmlType t) {
        Random r = new Random(t.ordinal());
        int n = 32 * 40;
        float[] x = TestData.randomVector(n, r);
        for (int i = 0; i < 32; i++) x[64 + i] = 0f;          // an all-zero block
        for (int i = 0; i < 32; i++) x[96 + i] = 3f + i * 1e-3f; // a block with a large offset (Q4_1/Q5_1 min)
        MemorySegment s = TestData.unaligned(t.bytesFor(n) + 10);
        Quantizer.quantize(t, x, n, s, 10);
        float[] y = new float[n];
        WeightMatrix.of(t, s.asSlice(10), 1, n).dequantizeRow(0, y, 0);
        double worst = 0;
        for (int b = 0; b < n / 32; b++) {
            float amax = 0, min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            for (int j = 32 * b; j < 32 * b + 32; j++) {
                amax = Math.max(amax, Math.abs(x[j]));
                min = Math.min(min, x[j]);
                max = Math.max(max, x[j]);
            }
            for (int j = 32 * b; j < 32 * b + 32; j++) {
                double err = Math.abs(y[j] - x[j]);
                double bound = switch (t) {
                    case F32 -> 0;
                    case F16 -> Math.abs(x[j]) * 0x1p-11;
                    case BF16 -> Math.abs(x[j]) * 0x1p-8;
                    case Q8_0 -> amax / 127 * 0.57;
                    case Q4_0 -> amax / 8 * 1.07;   // the far end clamps 8 -> 7: up to one quantum
                    case Q5_0 -> amax / 16 * 1.07;
                    case Q4_1 -> (max - min) / 15 * 0.55 + Math.abs(min) * 0x1p-10;
                    default -> (max - min) / 31 * 0.55 + Math.abs(min) * 0x1p-10; // Q5_1
                };
                assertTrue(err <= bound + 1e-7, t + " value " + j + ": " + x[j] + " -> " + y[j] + " err " + err + " > " + bound);
                worst = Math.max(worst, err);
            }
        }
        if (t != GgmlType.F32) assertTrue(worst > 0, "no rounding at all?");
    }

    @Test
    void quantizerRejectsUnsupported() {
        MemorySegment s = TestData.unaligned(1000);
        assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GgmlType.Q4_K, new float[256], 256, s, 0));
        assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(GgmlType.Q8_0, new float[40], 40, s, 0));
    }
}
