package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** Q8_0: blocks of 32 values = half d, int8 qs[32]; value = qs * d. Activations: Q8_0. */
final class Q8_0Matrix extends WeightMatrix {
    Q8_0Matrix(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_0;
    }

    @Override
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        long base = rowOffset(row);
        for (int b = 0; b < blocks; b++) {
            long off = base + 34L * b;
            float d = Numbers.f16(data, off);
            for (int j = 0; j < 32; j++) dst[dstOffset + 32 * b + j] = data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 2 + j) * d;
        }
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = rowOffset(row, x, xOffset);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long off = base + 34L * b;
            int xi = xOffset + 32 * b;
            // two 128-bit loads, each widened to 16 floats (kernels.md: faster than one 256-bit load + part 1)
            FloatVector w0 = (FloatVector) ByteVector.fromMemorySegment(B, data, off + 2, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector w1 = (FloatVector) ByteVector.fromMemorySegment(B, data, off + 18, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector t = w0.mul(FloatVector.fromArray(F, x, xi));
            t = w1.fma(FloatVector.fromArray(F, x, xi + 16), t);
            acc = t.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off))), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** ggml_vec_dot_q8_0_q8_0: per block sumi = sum qw*qx (exact), then sumi * (dw*dx), summed in F32. */
    @Override
    public float dot(int row, QuantizedActivation x) {
        checkActivation(x);
        long base = rowOffset(row);
        short[] q = x.q16;
        float[] dx = x.d;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long off = base + 34L * b;
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B, data, off + 2, LE).convertShape(VectorOperators.B2S, S, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B, data, off + 18, LE).convertShape(VectorOperators.B2S, S, 0);
            // |q| <= 128 on both sides: two products per lane fit in int16
            ShortVector p = w0.mul(ShortVector.fromArray(S, q, 32 * b)).add(w1.mul(ShortVector.fromArray(S, q, 32 * b + 16)));
            FloatVector pf = (FloatVector) p.convertShape(VectorOperators.S2F, F, 0);
            acc = pf.fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx[b]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
