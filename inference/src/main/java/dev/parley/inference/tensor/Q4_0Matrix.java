package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0: blocks of 32 values = half d, qs[16]; value j (j &lt; 16) is (qs[j] &amp; 15) - 8, value j+16 is
 * (qs[j] &gt;&gt; 4) - 8, times d. Activations: Q8_0.
 */
final class Q4_0Matrix extends WeightMatrix {
    Q4_0Matrix(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_0;
    }

    @Override
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        long base = rowOffset(row);
        for (int b = 0; b < blocks; b++) {
            long off = base + 18L * b;
            float d = Numbers.f16(data, off);
            int o = dstOffset + 32 * b;
            for (int j = 0; j < 16; j++) {
                int q = Numbers.u8(data, off + 2 + j);
                dst[o + j] = ((q & 0xF) - 8) * d;
                dst[o + j + 16] = ((q >> 4) - 8) * d;
            }
        }
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = rowOffset(row, x, xOffset);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long off = base + 18L * b;
            int xi = xOffset + 32 * b;
            // widen first: nibble shifts are cheap in int lanes, emulated in byte lanes
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B, data, off + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            FloatVector lo = ((FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0)).sub(8f);
            FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).sub(8f);
            FloatVector t = lo.mul(FloatVector.fromArray(F, x, xi));
            t = hi.fma(FloatVector.fromArray(F, x, xi + 16), t);
            acc = t.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off))), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** ggml_vec_dot_q4_0_q8_0: sumi over the block with weights in [-8, 7], then sumi * (dw*dx). */
    @Override
    public float dot(int row, QuantizedActivation x) {
        checkActivation(x);
        long base = rowOffset(row);
        short[] a = x.q16;
        float[] dx = x.d;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long off = base + 18L * b;
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B, data, off + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            ShortVector lo = q.and((short) 0xF).sub((short) 8);
            ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((short) 8);
            ShortVector p = lo.mul(ShortVector.fromArray(S, a, 32 * b)).add(hi.mul(ShortVector.fromArray(S, a, 32 * b + 16)));
            FloatVector pf = (FloatVector) p.convertShape(VectorOperators.S2F, F, 0);
            acc = pf.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx[b]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
