package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_0: blocks of 32 values = half d, uint32 qh (little-endian), qs[16]; value j = ((qs[j] &amp; 15) | bit j of qh
 * &lt;&lt; 4) - 16, value j+16 = ((qs[j] &gt;&gt; 4) | bit j+16 of qh &lt;&lt; 4) - 16, times d. Activations: Q8_0.
 */
final class Q5_0Matrix extends WeightMatrix {
    /** Bytes per block: half d, uint32 qh, then 16 bytes of nibbles. */
    static final int BLOCK_BYTES = 22;
    /** Offsets of qh and of the nibbles in a block. */
    static final int HIGH_BITS = 2, QUANTS = 6;
    /** Lane index 0..LANES-1, as shift counts that bring bit j of a shifted qh to bit 0 of lane j. */
    private static final IntVector LANE_I = IntVector.zero(INTS).addIndex(1);
    private static final ShortVector LANE_S = ShortVector.zero(SHORTS).addIndex(1);

    Q5_0Matrix(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_0;
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_0;
    }

    @Override
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        long base = rowOffset(row);
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            float d = Numbers.f16(data, off);
            int qh = data.get(Numbers.LE_INT, off + HIGH_BITS);
            int o = dstOffset + 32 * b;
            for (int j = 0; j < 16; j++) {
                int q = Numbers.u8(data, off + QUANTS + j);
                int x0 = (q & 0xF) | (((qh >>> j) << 4) & 0x10);
                int x1 = (q >> 4) | ((qh >>> (j + 12)) & 0x10);
                dst[o + j] = (x0 - 16) * d;
                dst[o + j + 16] = (x1 - 16) * d;
            }
        }
    }

    @Override
    float vectorDot(int row, float[] x, int xOffset) {
        long base = rowOffset(row, x, xOffset);
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            int xi = xOffset + 32 * b;
            int qh = data.get(Numbers.LE_INT, off + HIGH_BITS);
            FloatVector d = FloatVector.broadcast(FLOATS, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)));
            for (int g = 0; g < 16; g += LANES) {
                IntVector q = Simd.unsignedBytes(data, off + QUANTS + g);
                // bit g + lane of qh is the fifth bit of value g + lane, bit 16 + g + lane that of value 16 + g + lane
                IntVector hLo = IntVector.broadcast(INTS, qh >>> g).lanewise(VectorOperators.LSHR, LANE_I).and(1).lanewise(VectorOperators.LSHL, 4);
                IntVector hHi = IntVector.broadcast(INTS, qh >>> (16 + g)).lanewise(VectorOperators.LSHR, LANE_I).and(1).lanewise(VectorOperators.LSHL, 4);
                FloatVector lo = (FloatVector) q.and(0xF).or(hLo).convert(VectorOperators.I2F, 0);
                FloatVector hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).or(hHi).convert(VectorOperators.I2F, 0);
                FloatVector x0 = FloatVector.fromArray(FLOATS, x, xi + g), x1 = FloatVector.fromArray(FLOATS, x, xi + 16 + g);
                acc = (hi.sub(16f).fma(x1, lo.sub(16f).mul(x0))).fma(d, acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** ggml_vec_dot_q5_0_q8_0: sumi with weights in [-16, 15], then sumi * (dw*dx). */
    @Override
    float vectorDot(int row, QuantizedActivation x) {
        checkActivation(x);
        long base = rowOffset(row);
        short[] a = x.q16;
        float[] dx = x.d;
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            int qh = data.get(Numbers.LE_INT, off + HIGH_BITS);
            FloatVector scale = FloatVector.broadcast(FLOATS, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx[b]);
            for (int g = 0; g < 16; g += LANES) {
                ShortVector q = Simd.unsignedByteShorts(data, off + QUANTS + g);
                // short-lane LSHR is logical over 16 bits, so the two halves of qh are shifted separately
                ShortVector hLo = ShortVector.broadcast(SHORTS, (short) (qh >>> g)).lanewise(VectorOperators.LSHR, LANE_S).and((short) 1)
                        .lanewise(VectorOperators.LSHL, 4);
                ShortVector hHi = ShortVector.broadcast(SHORTS, (short) (qh >>> (16 + g))).lanewise(VectorOperators.LSHR, LANE_S).and((short) 1)
                        .lanewise(VectorOperators.LSHL, 4);
                ShortVector lo = q.and((short) 0xF).or(hLo).sub((short) 16);
                ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).or(hHi).sub((short) 16);
                ShortVector p = lo.mul(ShortVector.fromArray(SHORTS, a, 32 * b + g)).add(hi.mul(ShortVector.fromArray(SHORTS, a, 32 * b + 16 + g)));
                acc = ((FloatVector) p.convertShape(VectorOperators.S2F, FLOATS, 0)).fma(scale, acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
