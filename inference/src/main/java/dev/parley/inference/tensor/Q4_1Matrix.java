package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_1: blocks of 32 values = half d, half m, qs[16]; value = nibble * d + m (low nibbles are values 0..15, high
 * nibbles 16..31). Activations: Q8_1.
 */
final class Q4_1Matrix extends WeightMatrix {
    Q4_1Matrix(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_1;
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_1;
    }

    @Override
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        long base = rowOffset(row);
        for (int b = 0; b < blocks; b++) {
            long off = base + 20L * b;
            float d = Numbers.f16(data, off);
            float m = Numbers.f16(data, off + 2);
            int o = dstOffset + 32 * b;
            for (int j = 0; j < 16; j++) {
                int q = Numbers.u8(data, off + 4 + j);
                dst[o + j] = (q & 0xF) * d + m;
                dst[o + j + 16] = (q >> 4) * d + m;
            }
        }
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = rowOffset(row, x, xOffset);
        FloatVector acc = FloatVector.zero(F), accM = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long off = base + 20L * b;
            int xi = xOffset + 32 * b;
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B, data, off + 4, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            FloatVector lo = (FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0);
            FloatVector hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0);
            FloatVector x0 = FloatVector.fromArray(F, x, xi), x1 = FloatVector.fromArray(F, x, xi + 16);
            FloatVector t = hi.fma(x1, lo.mul(x0));
            acc = t.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off))), acc);
            // the +m of every value contributes m * sum(x) per block
            accM = x0.add(x1).fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + 2))), accM);
        }
        return acc.add(accM).reduceLanes(VectorOperators.ADD);
    }

    /** ggml_vec_dot_q4_1_q8_1: per block (dw*dx) * sumi + mw * sx, where sx = dx * sum(qx) comes with the activation. */
    @Override
    public float dot(int row, QuantizedActivation x) {
        checkActivation(x);
        long base = rowOffset(row);
        short[] a = x.q16;
        float[] dx = x.d, sx = x.s;
        FloatVector acc = FloatVector.zero(F);
        float sumM = 0f;
        for (int b = 0; b < blocks; b++) {
            long off = base + 20L * b;
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B, data, off + 4, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            ShortVector lo = q.and((short) 0xF);
            ShortVector hi = q.lanewise(VectorOperators.LSHR, 4);
            ShortVector p = lo.mul(ShortVector.fromArray(S, a, 32 * b)).add(hi.mul(ShortVector.fromArray(S, a, 32 * b + 16)));
            FloatVector pf = (FloatVector) p.convertShape(VectorOperators.S2F, F, 0);
            acc = pf.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx[b]), acc);
            sumM += Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + 2)) * sx[b];
        }
        return acc.reduceLanes(VectorOperators.ADD) + sumM;
    }
}
