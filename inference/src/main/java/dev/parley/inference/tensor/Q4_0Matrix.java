package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import static jdk.incubator.vector.VectorOperators.ADD;

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

    @Override
    void tile(int r0, int nr, QuantizedActivation[] xs, int t0, int nt, float[] out, int outStride) {
        int t1 = nth(t0, 1, nt), t2 = nth(t0, 2, nt), t3 = nth(t0, 3, nt);
        tile4(r0, nr, xs[t0].values, xs[t1].values, xs[t2].values, xs[t3].values, 0, 0, 0, 0,
                xs[t0].d, xs[t1].d, xs[t2].d, xs[t3].d, t0, t1, t2, t3, out, outStride);
    }

    @Override
    void tile(int r0, int nr, float[] x, int xStride, int t0, int nt, float[] out, int outStride) {
        int t1 = nth(t0, 1, nt), t2 = nth(t0, 2, nt), t3 = nth(t0, 3, nt);
        float[] one = ones(blocks);
        tile4(r0, nr, x, x, x, x, t0 * xStride, t1 * xStride, t2 * xStride, t3 * xStride, one, one, one, one, t0, t1, t2, t3, out, outStride);
    }

    /**
     * 4 weight rows x 4 activation rows, as Q8_0's tile: each block's nibbles are decoded to floats in [-8, 7] once
     * and feed 16 accumulators; per pair the two products and the scaling are those of {@code dot}, bit for bit.
     */
    private void tile4(int r0, int nr, float[] x0, float[] x1, float[] x2, float[] x3, int o0, int o1, int o2, int o3,
                       float[] d0, float[] d1, float[] d2, float[] d3, int t0, int t1, int t2, int t3, float[] out, int outStride) {
        int r1 = nth(r0, 1, nr), r2 = nth(r0, 2, nr), r3 = nth(r0, 3, nr);
        long b0 = rowOffset(r0), b1 = rowOffset(r1), b2 = rowOffset(r2), b3 = rowOffset(r3);
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int b = 0; b < blocks; b++) {
            long k = 18L * b;
            int xi = 32 * b;
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, data, b0 + k + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            FloatVector w0l = ((FloatVector) q0.and(0xF).convert(VectorOperators.I2F, 0)).sub(8f);
            FloatVector w0h = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).sub(8f);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, data, b1 + k + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            FloatVector w1l = ((FloatVector) q1.and(0xF).convert(VectorOperators.I2F, 0)).sub(8f);
            FloatVector w1h = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).sub(8f);
            IntVector q2 = (IntVector) ByteVector.fromMemorySegment(B, data, b2 + k + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            FloatVector w2l = ((FloatVector) q2.and(0xF).convert(VectorOperators.I2F, 0)).sub(8f);
            FloatVector w2h = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).sub(8f);
            IntVector q3 = (IntVector) ByteVector.fromMemorySegment(B, data, b3 + k + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            FloatVector w3l = ((FloatVector) q3.and(0xF).convert(VectorOperators.I2F, 0)).sub(8f);
            FloatVector w3h = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).sub(8f);
            float s0 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, b0 + k)), s1 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, b1 + k));
            float s2 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, b2 + k)), s3 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, b3 + k));

            FloatVector xl = FloatVector.fromArray(F, x0, o0 + xi), xh = FloatVector.fromArray(F, x0, o0 + xi + 16);
            float dx = d0[b];
            c00 = w0h.fma(xh, w0l.mul(xl)).fma(FloatVector.broadcast(F, s0 * dx), c00);
            c10 = w1h.fma(xh, w1l.mul(xl)).fma(FloatVector.broadcast(F, s1 * dx), c10);
            c20 = w2h.fma(xh, w2l.mul(xl)).fma(FloatVector.broadcast(F, s2 * dx), c20);
            c30 = w3h.fma(xh, w3l.mul(xl)).fma(FloatVector.broadcast(F, s3 * dx), c30);
            xl = FloatVector.fromArray(F, x1, o1 + xi); xh = FloatVector.fromArray(F, x1, o1 + xi + 16);
            dx = d1[b];
            c01 = w0h.fma(xh, w0l.mul(xl)).fma(FloatVector.broadcast(F, s0 * dx), c01);
            c11 = w1h.fma(xh, w1l.mul(xl)).fma(FloatVector.broadcast(F, s1 * dx), c11);
            c21 = w2h.fma(xh, w2l.mul(xl)).fma(FloatVector.broadcast(F, s2 * dx), c21);
            c31 = w3h.fma(xh, w3l.mul(xl)).fma(FloatVector.broadcast(F, s3 * dx), c31);
            xl = FloatVector.fromArray(F, x2, o2 + xi); xh = FloatVector.fromArray(F, x2, o2 + xi + 16);
            dx = d2[b];
            c02 = w0h.fma(xh, w0l.mul(xl)).fma(FloatVector.broadcast(F, s0 * dx), c02);
            c12 = w1h.fma(xh, w1l.mul(xl)).fma(FloatVector.broadcast(F, s1 * dx), c12);
            c22 = w2h.fma(xh, w2l.mul(xl)).fma(FloatVector.broadcast(F, s2 * dx), c22);
            c32 = w3h.fma(xh, w3l.mul(xl)).fma(FloatVector.broadcast(F, s3 * dx), c32);
            xl = FloatVector.fromArray(F, x3, o3 + xi); xh = FloatVector.fromArray(F, x3, o3 + xi + 16);
            dx = d3[b];
            c03 = w0h.fma(xh, w0l.mul(xl)).fma(FloatVector.broadcast(F, s0 * dx), c03);
            c13 = w1h.fma(xh, w1l.mul(xl)).fma(FloatVector.broadcast(F, s1 * dx), c13);
            c23 = w2h.fma(xh, w2l.mul(xl)).fma(FloatVector.broadcast(F, s2 * dx), c23);
            c33 = w3h.fma(xh, w3l.mul(xl)).fma(FloatVector.broadcast(F, s3 * dx), c33);
        }
        // written out here rather than by a helper: vectors passed to a call that is not inlined get boxed
        out[t0 * outStride + r0] = c00.reduceLanes(ADD); out[t1 * outStride + r0] = c01.reduceLanes(ADD);
        out[t2 * outStride + r0] = c02.reduceLanes(ADD); out[t3 * outStride + r0] = c03.reduceLanes(ADD);
        out[t0 * outStride + r1] = c10.reduceLanes(ADD); out[t1 * outStride + r1] = c11.reduceLanes(ADD);
        out[t2 * outStride + r1] = c12.reduceLanes(ADD); out[t3 * outStride + r1] = c13.reduceLanes(ADD);
        out[t0 * outStride + r2] = c20.reduceLanes(ADD); out[t1 * outStride + r2] = c21.reduceLanes(ADD);
        out[t2 * outStride + r2] = c22.reduceLanes(ADD); out[t3 * outStride + r2] = c23.reduceLanes(ADD);
        out[t0 * outStride + r3] = c30.reduceLanes(ADD); out[t1 * outStride + r3] = c31.reduceLanes(ADD);
        out[t2 * outStride + r3] = c32.reduceLanes(ADD); out[t3 * outStride + r3] = c33.reduceLanes(ADD);
    }
}
