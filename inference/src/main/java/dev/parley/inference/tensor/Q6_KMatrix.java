package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import static jdk.incubator.vector.VectorOperators.ADD;

/**
 * Q6_K: super-blocks of 256 values = ql[128], qh[64], int8 scales[16], half d (at byte 208). Each half n of 128
 * values uses ql[64n..64n+64), qh[32n..32n+32), scales[8n..8n+8). For l in 0..31, with h = qh[l]:
 * value l = (ql[l] &amp; 15 | (h &amp; 3) &lt;&lt; 4) - 32, value l+32 = (ql[l+32] &amp; 15 | (h&gt;&gt;2 &amp; 3) &lt;&lt; 4) - 32,
 * value l+64 = (ql[l] &gt;&gt; 4 | (h&gt;&gt;4 &amp; 3) &lt;&lt; 4) - 32, value l+96 = (ql[l+32] &gt;&gt; 4 | (h&gt;&gt;6) &lt;&lt; 4) - 32;
 * each 16 values share one scale; value = d * scale * q. Activations: Q8_K.
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
    public float dot(int row, float[] x, int xOffset) {
        long base = rowOffset(row, x, xOffset);
        FloatVector acc = FloatVector.zero(F);
        for (int sb = 0; sb < blocks; sb++) {
            long off = base + 210L * sb;
            float d = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + 208));
            for (int n = 0; n < 2; n++) {
                for (int c = 0; c < 2; c++) { // 16-value chunk: l in [16c, 16c+16)
                    long ql = off + 64 * n + 16 * c, qh = off + 128 + 32 * n + 16 * c, sc = off + 192 + 8 * n + c;
                    int xi = xOffset + 256 * sb + 128 * n + 16 * c;
                    IntVector a = (IntVector) ByteVector.fromMemorySegment(B, data, ql, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector b = (IntVector) ByteVector.fromMemorySegment(B, data, ql + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h = (IntVector) ByteVector.fromMemorySegment(B, data, qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector q1 = a.and(0xF).or(h.and(3).lanewise(VectorOperators.LSHL, 4));
                    IntVector q2 = b.and(0xF).or(h.and(0xC).lanewise(VectorOperators.LSHL, 2));
                    IntVector q3 = a.lanewise(VectorOperators.LSHR, 4).or(h.and(0x30));
                    IntVector q4 = b.lanewise(VectorOperators.LSHR, 4).or(h.and(0xC0).lanewise(VectorOperators.LSHR, 2));
                    FloatVector t1 = ((FloatVector) q1.convert(VectorOperators.I2F, 0)).sub(32f).mul(FloatVector.fromArray(F, x, xi));
                    FloatVector t2 = ((FloatVector) q2.convert(VectorOperators.I2F, 0)).sub(32f).mul(FloatVector.fromArray(F, x, xi + 32));
                    FloatVector t3 = ((FloatVector) q3.convert(VectorOperators.I2F, 0)).sub(32f).mul(FloatVector.fromArray(F, x, xi + 64));
                    FloatVector t4 = ((FloatVector) q4.convert(VectorOperators.I2F, 0)).sub(32f).mul(FloatVector.fromArray(F, x, xi + 96));
                    acc = t1.fma(FloatVector.broadcast(F, d * data.get(ValueLayout.JAVA_BYTE, sc)), acc);
                    acc = t2.fma(FloatVector.broadcast(F, d * data.get(ValueLayout.JAVA_BYTE, sc + 2)), acc);
                    acc = t3.fma(FloatVector.broadcast(F, d * data.get(ValueLayout.JAVA_BYTE, sc + 4)), acc);
                    acc = t4.fma(FloatVector.broadcast(F, d * data.get(ValueLayout.JAVA_BYTE, sc + 6)), acc);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** ggml_vec_dot_q6_K_q8_K: per super-block sumi = sum over 16-chunks of scale * (q . qx), then (d*dx) * sumi. */
    @Override
    public float dot(int row, QuantizedActivation x) {
        checkActivation(x);
        long base = rowOffset(row);
        short[] qx = x.q16;
        FloatVector acc = FloatVector.zero(F);
        for (int sb = 0; sb < blocks; sb++) {
            long off = base + 210L * sb;
            IntVector accI = IntVector.zero(I);
            for (int n = 0; n < 2; n++) {
                for (int c = 0; c < 2; c++) {
                    long ql = off + 64 * n + 16 * c, qh = off + 128 + 32 * n + 16 * c, sc = off + 192 + 8 * n + c;
                    int ai = 256 * sb + 128 * n + 16 * c;
                    ShortVector a = (ShortVector) ByteVector.fromMemorySegment(B, data, ql, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                    ShortVector b = (ShortVector) ByteVector.fromMemorySegment(B, data, ql + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                    ShortVector h = (ShortVector) ByteVector.fromMemorySegment(B, data, qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                    short k32 = 32;
                    ShortVector q1 = a.and((short) 0xF).or(h.and((short) 3).lanewise(VectorOperators.LSHL, 4)).sub(k32);
                    ShortVector q2 = b.and((short) 0xF).or(h.and((short) 0xC).lanewise(VectorOperators.LSHL, 2)).sub(k32);
                    ShortVector q3 = a.lanewise(VectorOperators.LSHR, 4).or(h.and((short) 0x30)).sub(k32);
                    ShortVector q4 = b.lanewise(VectorOperators.LSHR, 4).or(h.and((short) 0xC0).lanewise(VectorOperators.LSHR, 2)).sub(k32);
                    // 6-bit signed x 8-bit: |p| <= 32*128 fits int16; widened before the int8 scale multiply
                    IntVector p1 = (IntVector) q1.mul(ShortVector.fromArray(S, qx, ai)).convertShape(VectorOperators.S2I, I, 0);
                    IntVector p2 = (IntVector) q2.mul(ShortVector.fromArray(S, qx, ai + 32)).convertShape(VectorOperators.S2I, I, 0);
                    IntVector p3 = (IntVector) q3.mul(ShortVector.fromArray(S, qx, ai + 64)).convertShape(VectorOperators.S2I, I, 0);
                    IntVector p4 = (IntVector) q4.mul(ShortVector.fromArray(S, qx, ai + 96)).convertShape(VectorOperators.S2I, I, 0);
                    accI = p1.mul(data.get(ValueLayout.JAVA_BYTE, sc)).add(accI);
                    accI = p2.mul(data.get(ValueLayout.JAVA_BYTE, sc + 2)).add(accI);
                    accI = p3.mul(data.get(ValueLayout.JAVA_BYTE, sc + 4)).add(accI);
                    accI = p4.mul(data.get(ValueLayout.JAVA_BYTE, sc + 6)).add(accI);
                }
            }
            float dd = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + 208)) * x.d[sb];
            acc = ((FloatVector) accI.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, dd), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * 4 weight rows x 4 activation rows (ggml path). Each 16-value piece is decoded once as (q - 32) * scale (at
     * most 32 * 128, exact in float) and feeds 16 accumulators with the activation quants as floats: each lane sums
     * the same integers as {@code dot}'s int lanes, below 2^24 (16 terms of at most 4096 * 127), so exactly. Per
     * super-block the lanes are scaled into a per-thread scratch as {@code dot} scales them.
     */
    @Override
    void tile(int r0, int nr, QuantizedActivation[] xs, int t0, int nt, float[] out, int outStride) {
        int r1 = nth(r0, 1, nr), r2 = nth(r0, 2, nr), r3 = nth(r0, 3, nr);
        int t1 = nth(t0, 1, nt), t2 = nth(t0, 2, nt), t3 = nth(t0, 3, nt);
        QuantizedActivation x0 = xs[t0], x1 = xs[t1], x2 = xs[t2], x3 = xs[t3];
        float[] a0 = x0.values, a1 = x1.values, a2 = x2.values, a3 = x3.values;
        long b0 = rowOffset(r0), b1 = rowOffset(r1), b2 = rowOffset(r2), b3 = rowOffset(r3);
        float[] acc = SCRATCH.get();
        java.util.Arrays.fill(acc, 0, ACC_FLOATS, 0f);
        for (int sb = 0; sb < blocks; sb++) {
            long o0 = b0 + 210L * sb, o1 = b1 + 210L * sb, o2 = b2 + 210L * sb, o3 = b3 + 210L * sb;
            FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
            for (int h = 0; h < 2; h++) {
                for (int c = 0; c < 2; c++) {
                    for (int k = 0; k < 4; k++) { // value l + 32k takes its low 4 bits from ql[l + 32(k & 1)] >> 4(k >> 1), its top 2 from qh[l] >> 2k
                        long ql = 64 * h + 16 * c + 32 * (k & 1), qh = 128 + 32 * h + 16 * c, sc = 192 + 8 * h + c + 2 * k;
                        int lo = 4 * (k >> 1), hi = 2 * k, ai = 256 * sb + 128 * h + 16 * c + 32 * k;
                        float s0 = data.get(ValueLayout.JAVA_BYTE, o0 + sc);
                        IntVector q0 = ((IntVector) ByteVector.fromMemorySegment(B, data, o0 + ql, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                .lanewise(VectorOperators.LSHR, lo).and(0xF)
                                .or(((IntVector) ByteVector.fromMemorySegment(B, data, o0 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                        .lanewise(VectorOperators.LSHR, hi).and(3).lanewise(VectorOperators.LSHL, 4));
                        FloatVector w0 = ((FloatVector) q0.convert(VectorOperators.I2F, 0)).fma(s0, -32f * s0);
                        float s1 = data.get(ValueLayout.JAVA_BYTE, o1 + sc);
                        IntVector q1 = ((IntVector) ByteVector.fromMemorySegment(B, data, o1 + ql, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                .lanewise(VectorOperators.LSHR, lo).and(0xF)
                                .or(((IntVector) ByteVector.fromMemorySegment(B, data, o1 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                        .lanewise(VectorOperators.LSHR, hi).and(3).lanewise(VectorOperators.LSHL, 4));
                        FloatVector w1 = ((FloatVector) q1.convert(VectorOperators.I2F, 0)).fma(s1, -32f * s1);
                        float s2 = data.get(ValueLayout.JAVA_BYTE, o2 + sc);
                        IntVector q2 = ((IntVector) ByteVector.fromMemorySegment(B, data, o2 + ql, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                .lanewise(VectorOperators.LSHR, lo).and(0xF)
                                .or(((IntVector) ByteVector.fromMemorySegment(B, data, o2 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                        .lanewise(VectorOperators.LSHR, hi).and(3).lanewise(VectorOperators.LSHL, 4));
                        FloatVector w2 = ((FloatVector) q2.convert(VectorOperators.I2F, 0)).fma(s2, -32f * s2);
                        float s3 = data.get(ValueLayout.JAVA_BYTE, o3 + sc);
                        IntVector q3 = ((IntVector) ByteVector.fromMemorySegment(B, data, o3 + ql, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                .lanewise(VectorOperators.LSHR, lo).and(0xF)
                                .or(((IntVector) ByteVector.fromMemorySegment(B, data, o3 + qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                        .lanewise(VectorOperators.LSHR, hi).and(3).lanewise(VectorOperators.LSHL, 4));
                        FloatVector w3 = ((FloatVector) q3.convert(VectorOperators.I2F, 0)).fma(s3, -32f * s3);
                        FloatVector x;
                        x = FloatVector.fromArray(F, a0, ai);
                        c00 = w0.fma(x, c00); c10 = w1.fma(x, c10); c20 = w2.fma(x, c20); c30 = w3.fma(x, c30);
                        x = FloatVector.fromArray(F, a1, ai);
                        c01 = w0.fma(x, c01); c11 = w1.fma(x, c11); c21 = w2.fma(x, c21); c31 = w3.fma(x, c31);
                        x = FloatVector.fromArray(F, a2, ai);
                        c02 = w0.fma(x, c02); c12 = w1.fma(x, c12); c22 = w2.fma(x, c22); c32 = w3.fma(x, c32);
                        x = FloatVector.fromArray(F, a3, ai);
                        c03 = w0.fma(x, c03); c13 = w1.fma(x, c13); c23 = w2.fma(x, c23); c33 = w3.fma(x, c33);
                    }
                }
            }
            float d0 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, o0 + 208)), d1 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, o1 + 208));
            float d2 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, o2 + 208)), d3 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, o3 + 208));
            float e0 = x0.d[sb], e1 = x1.d[sb], e2 = x2.d[sb], e3 = x3.d[sb];
            c00.fma(FloatVector.broadcast(F, d0 * e0), FloatVector.fromArray(F, acc, 0)).intoArray(acc, 0);
            c01.fma(FloatVector.broadcast(F, d0 * e1), FloatVector.fromArray(F, acc, 16)).intoArray(acc, 16);
            c02.fma(FloatVector.broadcast(F, d0 * e2), FloatVector.fromArray(F, acc, 32)).intoArray(acc, 32);
            c03.fma(FloatVector.broadcast(F, d0 * e3), FloatVector.fromArray(F, acc, 48)).intoArray(acc, 48);
            c10.fma(FloatVector.broadcast(F, d1 * e0), FloatVector.fromArray(F, acc, 64)).intoArray(acc, 64);
            c11.fma(FloatVector.broadcast(F, d1 * e1), FloatVector.fromArray(F, acc, 80)).intoArray(acc, 80);
            c12.fma(FloatVector.broadcast(F, d1 * e2), FloatVector.fromArray(F, acc, 96)).intoArray(acc, 96);
            c13.fma(FloatVector.broadcast(F, d1 * e3), FloatVector.fromArray(F, acc, 112)).intoArray(acc, 112);
            c20.fma(FloatVector.broadcast(F, d2 * e0), FloatVector.fromArray(F, acc, 128)).intoArray(acc, 128);
            c21.fma(FloatVector.broadcast(F, d2 * e1), FloatVector.fromArray(F, acc, 144)).intoArray(acc, 144);
            c22.fma(FloatVector.broadcast(F, d2 * e2), FloatVector.fromArray(F, acc, 160)).intoArray(acc, 160);
            c23.fma(FloatVector.broadcast(F, d2 * e3), FloatVector.fromArray(F, acc, 176)).intoArray(acc, 176);
            c30.fma(FloatVector.broadcast(F, d3 * e0), FloatVector.fromArray(F, acc, 192)).intoArray(acc, 192);
            c31.fma(FloatVector.broadcast(F, d3 * e1), FloatVector.fromArray(F, acc, 208)).intoArray(acc, 208);
            c32.fma(FloatVector.broadcast(F, d3 * e2), FloatVector.fromArray(F, acc, 224)).intoArray(acc, 224);
            c33.fma(FloatVector.broadcast(F, d3 * e3), FloatVector.fromArray(F, acc, 240)).intoArray(acc, 240);
        }
        out[t0 * outStride + r0] = FloatVector.fromArray(F, acc, 0).reduceLanes(ADD);
        out[t1 * outStride + r0] = FloatVector.fromArray(F, acc, 16).reduceLanes(ADD);
        out[t2 * outStride + r0] = FloatVector.fromArray(F, acc, 32).reduceLanes(ADD);
        out[t3 * outStride + r0] = FloatVector.fromArray(F, acc, 48).reduceLanes(ADD);
        out[t0 * outStride + r1] = FloatVector.fromArray(F, acc, 64).reduceLanes(ADD);
        out[t1 * outStride + r1] = FloatVector.fromArray(F, acc, 80).reduceLanes(ADD);
        out[t2 * outStride + r1] = FloatVector.fromArray(F, acc, 96).reduceLanes(ADD);
        out[t3 * outStride + r1] = FloatVector.fromArray(F, acc, 112).reduceLanes(ADD);
        out[t0 * outStride + r2] = FloatVector.fromArray(F, acc, 128).reduceLanes(ADD);
        out[t1 * outStride + r2] = FloatVector.fromArray(F, acc, 144).reduceLanes(ADD);
        out[t2 * outStride + r2] = FloatVector.fromArray(F, acc, 160).reduceLanes(ADD);
        out[t3 * outStride + r2] = FloatVector.fromArray(F, acc, 176).reduceLanes(ADD);
        out[t0 * outStride + r3] = FloatVector.fromArray(F, acc, 192).reduceLanes(ADD);
        out[t1 * outStride + r3] = FloatVector.fromArray(F, acc, 208).reduceLanes(ADD);
        out[t2 * outStride + r3] = FloatVector.fromArray(F, acc, 224).reduceLanes(ADD);
        out[t3 * outStride + r3] = FloatVector.fromArray(F, acc, 240).reduceLanes(ADD);
    }
}
