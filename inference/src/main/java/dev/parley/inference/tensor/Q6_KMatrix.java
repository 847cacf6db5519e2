package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

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
}
