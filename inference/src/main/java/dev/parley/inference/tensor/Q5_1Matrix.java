package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_1: blocks of 32 values = half d, half m, uint32 qh (little-endian), qs[16]; value j = ((qs[j] &amp; 15) | bit j
 * of qh &lt;&lt; 4) * d + m, value j+16 from the high nibble and bit j+16. Activations: Q8_1.
 */
final class Q5_1Matrix extends WeightMatrix {
    /** Lane index 0..15, as shift counts that bring bit j of qh (or bit j+16) to bit 0 of lane j. */
    private static final IntVector LANE_I = IntVector.zero(I).addIndex(1);
    private static final IntVector LANE_I16 = LANE_I.add(16);
    private static final ShortVector LANE_S = ShortVector.zero(S).addIndex(1);

    Q5_1Matrix(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_1;
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_1;
    }

    @Override
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        long base = rowOffset(row);
        for (int b = 0; b < blocks; b++) {
            long off = base + 24L * b;
            float d = Numbers.f16(data, off);
            float m = Numbers.f16(data, off + 2);
            int qh = data.get(Numbers.LE_INT, off + 4);
            int o = dstOffset + 32 * b;
            for (int j = 0; j < 16; j++) {
                int q = Numbers.u8(data, off + 8 + j);
                int x0 = (q & 0xF) | (((qh >>> j) << 4) & 0x10);
                int x1 = (q >> 4) | ((qh >>> (j + 12)) & 0x10);
                dst[o + j] = x0 * d + m;
                dst[o + j + 16] = x1 * d + m;
            }
        }
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = rowOffset(row, x, xOffset);
        FloatVector acc = FloatVector.zero(F), accM = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long off = base + 24L * b;
            int xi = xOffset + 32 * b;
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B, data, off + 8, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector qh = IntVector.broadcast(I, data.get(Numbers.LE_INT, off + 4));
            IntVector hLo = qh.lanewise(VectorOperators.LSHR, LANE_I).and(1).lanewise(VectorOperators.LSHL, 4);
            IntVector hHi = qh.lanewise(VectorOperators.LSHR, LANE_I16).and(1).lanewise(VectorOperators.LSHL, 4);
            FloatVector lo = (FloatVector) q.and(0xF).or(hLo).convert(VectorOperators.I2F, 0);
            FloatVector hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).or(hHi).convert(VectorOperators.I2F, 0);
            FloatVector x0 = FloatVector.fromArray(F, x, xi), x1 = FloatVector.fromArray(F, x, xi + 16);
            FloatVector t = hi.fma(x1, lo.mul(x0));
            acc = t.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off))), acc);
            accM = x0.add(x1).fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + 2))), accM);
        }
        return acc.add(accM).reduceLanes(VectorOperators.ADD);
    }

    /** ggml_vec_dot_q5_1_q8_1: per block (dw*dx) * sumi + mw * sx. */
    @Override
    public float dot(int row, QuantizedActivation x) {
        checkActivation(x);
        long base = rowOffset(row);
        short[] a = x.q16;
        float[] dx = x.d, sx = x.s;
        FloatVector acc = FloatVector.zero(F);
        float sumM = 0f;
        for (int b = 0; b < blocks; b++) {
            long off = base + 24L * b;
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B, data, off + 8, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            int qh = data.get(Numbers.LE_INT, off + 4);
            // short-lane LSHR is logical over 16 bits, so the two halves of qh are shifted separately
            ShortVector hLo = ShortVector.broadcast(S, (short) qh).lanewise(VectorOperators.LSHR, LANE_S).and((short) 1).lanewise(VectorOperators.LSHL, 4);
            ShortVector hHi = ShortVector.broadcast(S, (short) (qh >>> 16)).lanewise(VectorOperators.LSHR, LANE_S).and((short) 1).lanewise(VectorOperators.LSHL, 4);
            ShortVector lo = q.and((short) 0xF).or(hLo);
            ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).or(hHi);
            ShortVector p = lo.mul(ShortVector.fromArray(S, a, 32 * b)).add(hi.mul(ShortVector.fromArray(S, a, 32 * b + 16)));
            FloatVector pf = (FloatVector) p.convertShape(VectorOperators.S2F, F, 0);
            acc = pf.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx[b]), acc);
            sumM += Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + 2)) * sx[b];
        }
        return acc.reduceLanes(VectorOperators.ADD) + sumM;
    }
}
