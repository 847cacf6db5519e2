package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K: super-blocks of 256 values = ql[128], qh[64], int8 scales[16], half d (at byte 208). Each half n of 128
 * values uses ql[64n..64n+64), qh[32n..32n+32), scales[8n..8n+8). For l in 0..31, with h = qh[l]:
 * value l = (ql[l] &amp; 15 | (h &amp; 3) &lt;&lt; 4) - 32, value l+32 = (ql[l+32] &amp; 15 | (h&gt;&gt;2 &amp; 3) &lt;&lt; 4) - 32,
 * value l+64 = (ql[l] &gt;&gt; 4 | (h&gt;&gt;4 &amp; 3) &lt;&lt; 4) - 32, value l+96 = (ql[l+32] &gt;&gt; 4 | (h&gt;&gt;6) &lt;&lt; 4) - 32;
 * each 16 values share one scale; value = d * scale * q. Activations: Q8_K. A folded format (see WeightMatrix):
 * the ggml-compatible dot, its batched form and the panel all multiply d * scale * q with the activation's q * d.
 */
final class Q6_KMatrix extends WeightMatrix {
    Q6_KMatrix(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_K;
    }

    @Override
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        long base = rowOffset(row);
        for (int sb = 0; sb < blocks; sb++) {
            long off = base + 210L * sb;
            float d = Numbers.f16(data, off + 208);
            for (int n = 0; n < 2; n++) {
                long ql = off + 64 * n, qh = off + 128 + 32 * n, sc = off + 192 + 8 * n;
                int o = dstOffset + 256 * sb + 128 * n;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int a = Numbers.u8(data, ql + l), b = Numbers.u8(data, ql + l + 32), h = Numbers.u8(data, qh + l);
                    int q1 = ((a & 0xF) | ((h & 3) << 4)) - 32;
                    int q2 = ((b & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                    int q3 = ((a >> 4) | (((h >> 4) & 3) << 4)) - 32;
                    int q4 = ((b >> 4) | (((h >> 6) & 3) << 4)) - 32;
                    // ggml evaluates d * sc * q left to right
                    dst[o + l] = d * data.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                    dst[o + l + 32] = d * data.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                    dst[o + l + 64] = d * data.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                    dst[o + l + 96] = d * data.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
                }
            }
        }
    }

    @Override
    boolean folded() {
        return true;
    }

    /**
     * No register tile: below the panel every activation row would decode the whole matrix again, and decoding is
     * this format's cost (6-bit codes split over two arrays), so the panel pays from two rows on.
     */
    @Override
    int panelMin() {
        return 2;
    }

    @Override
    void decodeFolded(int row, float[] dst, int off) {
        long base = rowOffset(row);
        java.util.Objects.checkFromIndexSize(off, cols, dst.length);
        for (int sb = 0; sb < blocks; sb++) {
            long k = base + 210L * sb;
            float d = Float.float16ToFloat(data.get(Numbers.LE_SHORT, k + 208));
            for (int n = 0; n < 2; n++) {
                for (int c = 0; c < 2; c++) {
                    long ql = k + 64 * n + 16 * c, qh = k + 128 + 32 * n + 16 * c, sc = k + 192 + 8 * n + c;
                    int o = off + 256 * sb + 128 * n + 16 * c;
                    IntVector a = (IntVector) ByteVector.fromMemorySegment(B, data, ql, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector b = (IntVector) ByteVector.fromMemorySegment(B, data, ql + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h = (IntVector) ByteVector.fromMemorySegment(B, data, qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    ((FloatVector) a.and(0xF).or(h.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32).convert(VectorOperators.I2F, 0))
                            .mul(d * data.get(ValueLayout.JAVA_BYTE, sc)).intoArray(dst, o);
                    ((FloatVector) b.and(0xF).or(h.and(0xC).lanewise(VectorOperators.LSHL, 2)).sub(32).convert(VectorOperators.I2F, 0))
                            .mul(d * data.get(ValueLayout.JAVA_BYTE, sc + 2)).intoArray(dst, o + 32);
                    ((FloatVector) a.lanewise(VectorOperators.LSHR, 4).or(h.and(0x30)).sub(32).convert(VectorOperators.I2F, 0))
                            .mul(d * data.get(ValueLayout.JAVA_BYTE, sc + 4)).intoArray(dst, o + 64);
                    ((FloatVector) b.lanewise(VectorOperators.LSHR, 4).or(h.and(0xC0).lanewise(VectorOperators.LSHR, 2)).sub(32).convert(VectorOperators.I2F, 0))
                            .mul(d * data.get(ValueLayout.JAVA_BYTE, sc + 6)).intoArray(dst, o + 96);
                }
            }
        }
    }

    /**
     * ggml_vec_dot_q6_K_q8_K's numbers, folded: each weight (q - 32) * (d * scale), exact in float (6 + 11 + 8 bits),
     * times the activation's q * d, one FMA per 16 values in column order (the order the panel uses).
     */
    @Override
    public float dot(int row, QuantizedActivation x) {
        checkActivation(x);
        return dotFolded(rowOffset(row), x.scaled, 0);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        return dotFolded(rowOffset(row, x, xOffset), x, xOffset);
    }

    private float dotFolded(long base, float[] xs, int xo) {
        FloatVector acc = FloatVector.zero(F);
        for (int sb = 0; sb < blocks; sb++) {
            long off = base + 210L * sb;
            float d = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + 208));
            for (int n = 0; n < 2; n++) {
                long ql = off + 64 * n, qh = off + 128 + 32 * n, sc = off + 192 + 8 * n;
                int xi = xo + 256 * sb + 128 * n;
                IntVector a0 = (IntVector) ByteVector.fromMemorySegment(B, data, ql, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector b0 = (IntVector) ByteVector.fromMemorySegment(B, data, ql + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector h0 = (IntVector) ByteVector.fromMemorySegment(B, data, qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector a1 = (IntVector) ByteVector.fromMemorySegment(B, data, ql + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector b1 = (IntVector) ByteVector.fromMemorySegment(B, data, ql + 48, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector h1 = (IntVector) ByteVector.fromMemorySegment(B, data, qh + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                // 16-value chunk j of this half uses scale j: q1 of l 0..15, q1 of l 16..31, q2 ..., q4 of l 16..31
                acc = ((FloatVector) a0.and(0xF).or(h0.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32).convert(VectorOperators.I2F, 0))
                        .mul(d * data.get(ValueLayout.JAVA_BYTE, sc)).fma(FloatVector.fromArray(F, xs, xi), acc);
                acc = ((FloatVector) a1.and(0xF).or(h1.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32).convert(VectorOperators.I2F, 0))
                        .mul(d * data.get(ValueLayout.JAVA_BYTE, sc + 1)).fma(FloatVector.fromArray(F, xs, xi + 16), acc);
                acc = ((FloatVector) b0.and(0xF).or(h0.and(0xC).lanewise(VectorOperators.LSHL, 2)).sub(32).convert(VectorOperators.I2F, 0))
                        .mul(d * data.get(ValueLayout.JAVA_BYTE, sc + 2)).fma(FloatVector.fromArray(F, xs, xi + 32), acc);
                acc = ((FloatVector) b1.and(0xF).or(h1.and(0xC).lanewise(VectorOperators.LSHL, 2)).sub(32).convert(VectorOperators.I2F, 0))
                        .mul(d * data.get(ValueLayout.JAVA_BYTE, sc + 3)).fma(FloatVector.fromArray(F, xs, xi + 48), acc);
                acc = ((FloatVector) a0.lanewise(VectorOperators.LSHR, 4).or(h0.and(0x30)).sub(32).convert(VectorOperators.I2F, 0))
                        .mul(d * data.get(ValueLayout.JAVA_BYTE, sc + 4)).fma(FloatVector.fromArray(F, xs, xi + 64), acc);
                acc = ((FloatVector) a1.lanewise(VectorOperators.LSHR, 4).or(h1.and(0x30)).sub(32).convert(VectorOperators.I2F, 0))
                        .mul(d * data.get(ValueLayout.JAVA_BYTE, sc + 5)).fma(FloatVector.fromArray(F, xs, xi + 80), acc);
                acc = ((FloatVector) b0.lanewise(VectorOperators.LSHR, 4).or(h0.and(0xC0).lanewise(VectorOperators.LSHR, 2)).sub(32).convert(VectorOperators.I2F, 0))
                        .mul(d * data.get(ValueLayout.JAVA_BYTE, sc + 6)).fma(FloatVector.fromArray(F, xs, xi + 96), acc);
                acc = ((FloatVector) b1.lanewise(VectorOperators.LSHR, 4).or(h1.and(0xC0).lanewise(VectorOperators.LSHR, 2)).sub(32).convert(VectorOperators.I2F, 0))
                        .mul(d * data.get(ValueLayout.JAVA_BYTE, sc + 7)).fma(FloatVector.fromArray(F, xs, xi + 112), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
