package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_0: blocks of 32 values = half d, uint32 qh (little-endian), qs[16]; value j = ((qs[j] &amp; 15) | bit j of qh
 * &lt;&lt; 4) - 16, value j+16 = ((qs[j] &gt;&gt; 4) | bit j+16 of qh &lt;&lt; 4) - 16, times d. Activations: Q8_0.
 */
final class Q5_0Matrix extends WeightMatrix {
    /** Lane index 0..15, as shift counts that bring bit j of qh (or bit j+16) to bit 0 of lane j. */
    private static final IntVector LANE_I = IntVector.zero(I).addIndex(1);
    private static final IntVector LANE_I16 = LANE_I.add(16);
    private static final ShortVector LANE_S = ShortVector.zero(S).addIndex(1);

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
            long off = base + 22L * b;
            float d = Numbers.f16(data, off);
            int qh = data.get(Numbers.LE_INT, off + 2);
            int o = dstOffset + 32 * b;
            for (int j = 0; j < 16; j++) {
                int q = Numbers.u8(data, off + 6 + j);
                int x0 = (q & 0xF) | (((qh >>> j) << 4) & 0x10);
                int x1 = (q >> 4) | ((qh >>> (j + 12)) & 0x10);
                dst[o + j] = (x0 - 16) * d;
                dst[o + j + 16] = (x1 - 16) * d;
            }
        }
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = rowOffset(row, x, xOffset);
        FloatVector acc = FloatVector.zero(F), accM = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long off = base + 22L * b;
            int xi = xOffset + 32 * b;
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B, data, off + 6, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector qh = IntVector.broadcast(I, data.get(Numbers.LE_INT, off + 2));
            IntVector hLo = qh.lanewise(VectorOperators.LSHR, LANE_I).and(1).lanewise(VectorOperators.LSHL, 4);
            IntVector hHi = qh.lanewise(VectorOperators.LSHR, LANE_I16).and(1).lanewise(VectorOperators.LSHL, 4);
            FloatVector lo = (FloatVector) q.and(0xF).or(hLo).convert(VectorOperators.I2F, 0);
            FloatVector hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).or(hHi).convert(VectorOperators.I2F, 0);
            FloatVector x0 = FloatVector.fromArray(F, x, xi), x1 = FloatVector.fromArray(F, x, xi + 16);
            FloatVector t = hi.sub(16f).fma(x1, lo.sub(16f).mul(x0));
            acc = t.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off))), acc);
        }
        return acc.add(accM).reduceLanes(VectorOperators.ADD);
    }

    /** ggml_vec_dot_q5_0_q8_0: sumi with weights in [-16, 15], then sumi * (dw*dx). */
    @Override
    public float dot(int row, QuantizedActivation x) {
        checkActivation(x);
        long base = rowOffset(row);
        short[] a = x.q16;
        float[] dx = x.d, sx = x.s;
        FloatVector acc = FloatVector.zero(F);
        float sumM = 0f;
        for (int b = 0; b < blocks; b++) {
            long off = base + 22L * b;
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B, data, off + 6, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            int qh = data.get(Numbers.LE_INT, off + 2);
            // short-lane LSHR is logical over 16 bits, so the two halves of qh are shifted separately
            ShortVector hLo = ShortVector.broadcast(S, (short) qh).lanewise(VectorOperators.LSHR, LANE_S).and((short) 1).lanewise(VectorOperators.LSHL, 4);
            ShortVector hHi = ShortVector.broadcast(S, (short) (qh >>> 16)).lanewise(VectorOperators.LSHR, LANE_S).and((short) 1).lanewise(VectorOperators.LSHL, 4);
            ShortVector lo = q.and((short) 0xF).or(hLo).sub((short) 16);
            ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).or(hHi).sub((short) 16);
            ShortVector p = lo.mul(ShortVector.fromArray(S, a, 32 * b)).add(hi.mul(ShortVector.fromArray(S, a, 32 * b + 16)));
            FloatVector pf = (FloatVector) p.convertShape(VectorOperators.S2F, F, 0);
            acc = pf.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx[b]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD) + sumM;
    }
}
