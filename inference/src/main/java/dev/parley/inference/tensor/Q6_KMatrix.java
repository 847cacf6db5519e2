package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
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
            long off = base + (long) sb * BLOCK_BYTES;
            float d = Numbers.f16(data, off + SCALE_D);
            for (int n = 0; n < 2; n++) {
                long ql = off + 64 * n, qh = off + HIGH_BITS + 32 * n, sc = off + SCALES + 8 * n;
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

    /** Bytes per super-block: ql[128], qh[64], int8 scales[16], half d. */
    static final int BLOCK_BYTES = 210;
    /** Offsets of qh, the scales and d in a super-block. */
    static final int HIGH_BITS = 128, SCALES = 192, SCALE_D = 208;

    /**
     * 16-value chunk j (0..7) of a 128-value half: low nibbles of ql[0..32) (j = 0, 1), of ql[32..64) (2, 3), high
     * nibbles of ql[0..32) (4, 5) and of ql[32..64) (6, 7), with bits 2*(j/2) of qh on top, scale j; decoded here
     * {@code LANES} values at a time in column order.
     */
    @Override
    void decodeFolded(int row, float[] dst, int off) {
        long base = rowOffset(row);
        java.util.Objects.checkFromIndexSize(off, cols, dst.length);
        for (int sb = 0; sb < blocks; sb++) {
            long k = base + (long) sb * BLOCK_BYTES;
            float d = Float.float16ToFloat(data.get(Numbers.LE_SHORT, k + SCALE_D));
            for (int n = 0; n < 2; n++) {
                long ql = k + 64 * n, qh = k + HIGH_BITS + 32 * n, sc = k + SCALES + 8 * n;
                int o = off + 256 * sb + 128 * n;
                for (int j = 0; j < 8; j++) {
                    int kind = j >> 1, nibbleShift = 4 * (kind >> 1), highShift = 2 * kind;
                    long q = ql + 32 * (kind & 1) + 16 * (j & 1), h = qh + 16 * (j & 1);
                    float scale = d * data.get(ValueLayout.JAVA_BYTE, sc + j);
                    for (int s = 0; s < 16; s += LANES) {
                        IntVector v = Simd.unsignedBytes(data, q + s).lanewise(VectorOperators.LSHR, nibbleShift).and(0xF)
                                .or(Simd.unsignedBytes(data, h + s).lanewise(VectorOperators.LSHR, highShift).and(3).lanewise(VectorOperators.LSHL, 4));
                        ((FloatVector) v.sub(32).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(dst, o + 16 * j + s);
                    }
                }
            }
        }
    }

    /**
     * ggml_vec_dot_q6_K_q8_K's numbers, folded: each weight (q - 32) * (d * scale), exact in float (6 + 11 + 8 bits),
     * times the activation's q * d, one FMA per 16 values in column order (the order the panel uses).
     */
    @Override
    float vectorDot(int row, QuantizedActivation x) {
        checkActivation(x);
        return BATCH_INVARIANT ? dotFolded(rowOffset(row), x.scaled, 0) : dotInt16(rowOffset(row), x.q16, x.d);
    }

    /**
     * ggml's grouping (unless batch-invariant): the 6-bit codes minus 32 in int16 lanes times the int16 activation
     * quants (|product| &lt;= 32 * 127 fits), converted, then one FMA with d * scale * dx per 16 values. Each load of
     * ql and qh bytes feeds the four values it holds (values l, l+32, l+64, l+96 of a half) into four accumulators,
     * four dependency chains instead of the folded kernel's one, every byte read once instead of two or four times.
     * Q6_K matmuls of a 1B shape, 2 threads, 512 bits: 8.5-8.9 tok/s folded, 16.3-18.3 with four float chains,
     * 18.8-21.4 with these int16 products (256 bits: 7.9-8.1 four float chains, 8.7 int16).
     */
    private float dotInt16(long base, short[] qx, float[] dx) {
        FloatVector acc0 = FloatVector.zero(FLOATS), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int sb = 0; sb < blocks; sb++) {
            long off = base + (long) sb * BLOCK_BYTES;
            float d = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + SCALE_D)) * dx[sb];
            for (int n = 0; n < 2; n++) {
                long ql = off + 64 * n, qh = off + HIGH_BITS + 32 * n, sc = off + SCALES + 8 * n;
                int xi = 256 * sb + 128 * n;
                for (int l = 0; l < 32; l += LANES) {
                    long is = sc + (l >> 4);
                    ShortVector a = Simd.unsignedByteShorts(data, ql + l), b = Simd.unsignedByteShorts(data, ql + 32 + l);
                    ShortVector h = Simd.unsignedByteShorts(data, qh + l);
                    ShortVector q1 = a.and((short) 0xF).or(h.and((short) 3).lanewise(VectorOperators.LSHL, 4)).sub((short) 32);
                    ShortVector q2 = b.and((short) 0xF).or(h.and((short) 0xC).lanewise(VectorOperators.LSHL, 2)).sub((short) 32);
                    ShortVector q3 = a.lanewise(VectorOperators.LSHR, 4).or(h.and((short) 0x30)).sub((short) 32);
                    ShortVector q4 = b.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 2).and((short) 0x30)).sub((short) 32);
                    acc0 = ((FloatVector) q1.mul(ShortVector.fromArray(SHORTS, qx, xi + l)).convertShape(VectorOperators.S2F, FLOATS, 0))
                            .fma(FloatVector.broadcast(FLOATS, d * data.get(ValueLayout.JAVA_BYTE, is)), acc0);
                    acc1 = ((FloatVector) q2.mul(ShortVector.fromArray(SHORTS, qx, xi + 32 + l)).convertShape(VectorOperators.S2F, FLOATS, 0))
                            .fma(FloatVector.broadcast(FLOATS, d * data.get(ValueLayout.JAVA_BYTE, is + 2)), acc1);
                    acc2 = ((FloatVector) q3.mul(ShortVector.fromArray(SHORTS, qx, xi + 64 + l)).convertShape(VectorOperators.S2F, FLOATS, 0))
                            .fma(FloatVector.broadcast(FLOATS, d * data.get(ValueLayout.JAVA_BYTE, is + 4)), acc2);
                    acc3 = ((FloatVector) q4.mul(ShortVector.fromArray(SHORTS, qx, xi + 96 + l)).convertShape(VectorOperators.S2F, FLOATS, 0))
                            .fma(FloatVector.broadcast(FLOATS, d * data.get(ValueLayout.JAVA_BYTE, is + 6)), acc3);
                }
            }
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }

    @Override
    float vectorDot(int row, float[] x, int xOffset) {
        return dotFolded(rowOffset(row, x, xOffset), x, xOffset);
    }

    /** The chunks of {@link #decodeFolded}, each multiplied with the activation as it is decoded. */
    private float dotFolded(long base, float[] xs, int xo) {
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int sb = 0; sb < blocks; sb++) {
            long off = base + (long) sb * BLOCK_BYTES;
            float d = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + SCALE_D));
            for (int n = 0; n < 2; n++) {
                long ql = off + 64 * n, qh = off + HIGH_BITS + 32 * n, sc = off + SCALES + 8 * n;
                int xi = xo + 256 * sb + 128 * n;
                for (int j = 0; j < 8; j++) {
                    int kind = j >> 1, nibbleShift = 4 * (kind >> 1), highShift = 2 * kind;
                    long q = ql + 32 * (kind & 1) + 16 * (j & 1), h = qh + 16 * (j & 1);
                    float scale = d * data.get(ValueLayout.JAVA_BYTE, sc + j);
                    for (int s = 0; s < 16; s += LANES) {
                        IntVector v = Simd.unsignedBytes(data, q + s).lanewise(VectorOperators.LSHR, nibbleShift).and(0xF)
                                .or(Simd.unsignedBytes(data, h + s).lanewise(VectorOperators.LSHR, highShift).and(3).lanewise(VectorOperators.LSHL, 4));
                        acc = ((FloatVector) v.sub(32).convert(VectorOperators.I2F, 0)).mul(scale)
                                .fma(FloatVector.fromArray(FLOATS, xs, xi + 16 * j + s), acc);
                    }
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
