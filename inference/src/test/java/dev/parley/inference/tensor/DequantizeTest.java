package dev.parley.inference.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Hand-built blocks with known bytes; the expected values are worked out by hand from ggml's dequantize_row_*
 * formulas (fp16 0x3C00 = 1.0, 0x3800 = 0.5, 0x4000 = 2.0, 0xC000 = -2.0).
 */
class DequantizeTest {

    /** Dequantizes row 1 of a 2-row matrix whose row 1 is {@code block} (row 0 is filler). */
    private static float[] row1(GgmlType t, int cols, MemorySegment block) {
        long rowBytes = t.bytesFor(cols);
        MemorySegment s = TestData.unaligned(2 * rowBytes);
        s.asSlice(0, rowBytes).fill((byte) 0x55);
        MemorySegment.copy(block, 0, s, rowBytes, rowBytes);
        float[] out = new float[cols + 2];
        WeightMatrix.of(t, s, 2, cols).dequantizeRow(1, out, 1);
        assertEquals(0f, out[0]);
        assertEquals(0f, out[cols + 1]);
        return Arrays.copyOfRange(out, 1, cols + 1);
    }

    private static MemorySegment block(GgmlType t) {
        return TestData.unaligned(t.blockBytes);
    }

    private static void half(MemorySegment s, long off, int bits) {
        s.set(Numbers.LE_SHORT, off, (short) bits);
    }

    @Test
    void f32F16Bf16() {
        MemorySegment f = TestData.unaligned(8);
        f.set(Numbers.LE_FLOAT, 0, 1.5f);
        f.set(Numbers.LE_FLOAT, 4, -0.25f);
        assertArrayEquals(new float[] {1.5f, -0.25f}, row1(GgmlType.F32, 2, f));

        MemorySegment h = TestData.bytes(0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0x00, 0x7C, 0xFF, 0x7B, 0x00, 0x80);
        assertArrayEquals(new float[] {1f, -2f, 0x1p-24f, Float.POSITIVE_INFINITY, 65504f, -0f},
                row1(GgmlType.F16, 6, h));

        MemorySegment b = TestData.bytes(0x80, 0x3F, 0x00, 0xC0, 0x49, 0x40);
        assertArrayEquals(new float[] {1f, -2f, 3.140625f}, row1(GgmlType.BF16, 3, b));
    }

    @Test
    void q8_0() {
        MemorySegment s = block(GgmlType.Q8_0);
        half(s, 0, 0x3800); // d = 0.5
        int[] q = {-128, -1, 0, 1, 127};
        for (int j = 0; j < 32; j++) s.set(ValueLayout.JAVA_BYTE, 2 + j, (byte) (j < 5 ? q[j] : 2));
        float[] y = row1(GgmlType.Q8_0, 32, s);
        assertArrayEquals(new float[] {-64f, -0.5f, 0f, 0.5f, 63.5f, 1f}, Arrays.copyOf(y, 6));
        assertEquals(1f, y[31]);
    }

    @Test
    void q4_0() {
        MemorySegment s = block(GgmlType.Q4_0);
        half(s, 0, 0x4000); // d = 2
        s.asSlice(2, 16).fill((byte) 0x88); // nibble 8 -> 0
        s.set(ValueLayout.JAVA_BYTE, 2, (byte) 0x1F);
        s.set(ValueLayout.JAVA_BYTE, 3, (byte) 0x80);
        float[] y = row1(GgmlType.Q4_0, 32, s);
        assertEquals(14f, y[0]);   // (15 - 8) * 2, low nibble of byte 0
        assertEquals(-14f, y[16]); // (1 - 8) * 2, high nibble of byte 0
        assertEquals(-16f, y[1]);  // (0 - 8) * 2
        assertEquals(0f, y[17]);   // (8 - 8) * 2
        assertEquals(0f, y[2]);
    }

    @Test
    void q4_1() {
        MemorySegment s = block(GgmlType.Q4_1);
        half(s, 0, 0x3C00); // d = 1
        half(s, 2, 0xC000); // m = -2
        s.asSlice(4, 16).fill((byte) 0);
        s.set(ValueLayout.JAVA_BYTE, 4, (byte) 0x1F);
        float[] y = row1(GgmlType.Q4_1, 32, s);
        assertEquals(13f, y[0]);
        assertEquals(-1f, y[16]);
        assertEquals(-2f, y[1]);
    }

    @Test
    void q5_0() {
        MemorySegment s = block(GgmlType.Q5_0);
        half(s, 0, 0x3C00);
        s.set(Numbers.LE_INT, 2, 0x80018001); // bits 0, 15, 16, 31
        s.asSlice(6, 16).fill((byte) 0x3A);
        float[] y = row1(GgmlType.Q5_0, 32, s);
        assertEquals(10f, y[0]);   // (0xA | 16) - 16
        assertEquals(3f, y[16]);   // (0x3 | 16) - 16
        assertEquals(-6f, y[1]);   // 0xA - 16
        assertEquals(-13f, y[17]); // 0x3 - 16
        assertEquals(10f, y[15]);  // bit 15
        assertEquals(3f, y[31]);   // bit 31
        assertEquals(-13f, y[30]);
    }

    @Test
    void q5_1() {
        MemorySegment s = block(GgmlType.Q5_1);
        half(s, 0, 0x3800); // d = 0.5
        half(s, 2, 0x3C00); // m = 1
        s.set(Numbers.LE_INT, 4, 0x00010001);
        s.asSlice(8, 16).fill((byte) 0xFF);
        float[] y = row1(GgmlType.Q5_1, 32, s);
        assertEquals(16.5f, y[0]);  // 31 * 0.5 + 1
        assertEquals(16.5f, y[16]);
        assertEquals(8.5f, y[1]);   // 15 * 0.5 + 1
        assertEquals(8.5f, y[17]);
    }

    /**
     * Scales {1,2,3,4,33,50,17,63} and mins {5,6,7,8,40,9,63,16} packed by hand: bytes 0-3 = scale j | (top 2 bits
     * of scale j+4) << 6, bytes 4-7 = min j | (top 2 bits of min j+4) << 6, bytes 8-11 = low 4 bits of scale j+4 |
     * low 4 bits of min j+4 << 4.
     */
    private static final int[] K_SCALES = {0x81, 0xC2, 0x43, 0xC4, 0x85, 0x06, 0xC7, 0x48, 0x81, 0x92, 0xF1, 0x0F};

    private static void kHeader(MemorySegment s) {
        half(s, 0, 0x3C00); // d = 1
        half(s, 2, 0x3800); // dmin = 0.5
        for (int i = 0; i < 12; i++) s.set(ValueLayout.JAVA_BYTE, 4 + i, (byte) K_SCALES[i]);
    }

    private static void assertSubBlocks(float[] expected, float[] y) {
        for (int i = 0; i < 256; i++) assertEquals(expected[i / 32], y[i], "value " + i);
    }

    @Test
    void q4_K() {
        MemorySegment s = block(GgmlType.Q4_K);
        kHeader(s);
        s.asSlice(16, 128).fill((byte) 0x53); // low nibble 3 (even sub-blocks), high nibble 5 (odd ones)
        // sub-block k: d*scale_k*q - dmin*min_k
        float[] expected = {1 * 3 - 2.5f, 2 * 5 - 3f, 3 * 3 - 3.5f, 4 * 5 - 4f, 33 * 3 - 20f, 50 * 5 - 4.5f, 17 * 3 - 31.5f, 63 * 5 - 8f};
        assertSubBlocks(expected, row1(GgmlType.Q4_K, 256, s));
    }

    @Test
    void q5_K() {
        MemorySegment s = block(GgmlType.Q5_K);
        kHeader(s);
        s.asSlice(16, 32).fill((byte) 0xA5); // bits 0,2,5,7: sub-blocks 0, 2, 5, 7 get +16
        s.asSlice(48, 128).fill((byte) 0x53);
        float[] expected = {19 * 1 - 2.5f, 5 * 2 - 3f, 19 * 3 - 3.5f, 5 * 4 - 4f, 3 * 33 - 20f, 21 * 50 - 4.5f, 3 * 17 - 31.5f, 21 * 63 - 8f};
        assertSubBlocks(expected, row1(GgmlType.Q5_K, 256, s));
    }

    @Test
    void q6_K() {
        MemorySegment s = block(GgmlType.Q6_K);
        s.asSlice(0, 128).fill((byte) 0x21);   // ql: low nibble 1, high nibble 2
        s.asSlice(128, 64).fill((byte) 0xE4);  // qh: 2-bit fields 0, 1, 2, 3
        int[] sc = new int[16];
        for (int i = 0; i < 16; i++) {
            sc[i] = i % 2 == 0 ? i + 1 : -(i + 1);
            s.set(ValueLayout.JAVA_BYTE, 192 + i, (byte) sc[i]);
        }
        half(s, 208, 0x3800); // d = 0.5
        // quarter k of each 128-half: k=0: (1 | 0<<4) - 32 = -31, k=1: (1 | 1<<4) - 32 = -15, k=2: (2 | 2<<4) - 32 = 2,
        // k=3: (2 | 3<<4) - 32 = 18; value i uses scale i/16 (128n + 32k + l -> 8n + 2k + l/16)
        int[] q = {-31, -15, 2, 18};
        float[] y = row1(GgmlType.Q6_K, 256, s);
        for (int i = 0; i < 256; i++) assertEquals(0.5f * sc[i / 16] * q[(i % 128) / 32], y[i], "value " + i);
    }

    @Test
    void kScaleUnpackingAgreesWithGgmlBitTrick() {
        // ggml's SIMD paths unpack the 12 bytes with 32-bit masks; our per-index get_scale_min_k4 must agree
        java.util.Random r = new java.util.Random(7);
        for (int t = 0; t < 200; t++) {
            MemorySegment s = TestData.unaligned(12);
            for (int i = 0; i < 12; i++) s.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
            int[] sm = Reference.scalesMinsK4(s, 0);
            for (int j = 0; j < 8; j++) {
                int v = KQuants.scaleMin(s, 0, j);
                assertEquals(sm[j], v & 0xFF, "scale " + j);
                assertEquals(sm[8 + j], v >> 8, "min " + j);
                assertEquals(sm[j], (int) (KQuants.packed(s, 0, false) >>> (8 * j)) & 0xFF, "packed scale " + j);
                assertEquals(sm[8 + j], (int) (KQuants.packed(s, 0, true) >>> (8 * j)) & 0xFF, "packed min " + j);
            }
        }
    }

    @Test
    void rejectsBadShapes() {
        MemorySegment s = TestData.unaligned(1000);
        assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(GgmlType.Q4_0, s, 1, 48));
        assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(GgmlType.Q8_0, s, 100, 32));
        assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(GgmlType.Q2_K, s, 1, 256));
        assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(GgmlType.IQ4_NL, s, 1, 32));
        assertEquals(GgmlType.Q6_K, WeightMatrix.of(GgmlType.Q6_K, s, 4, 256).type());
    }
}
