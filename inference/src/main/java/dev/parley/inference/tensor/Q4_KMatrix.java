package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import static jdk.incubator.vector.VectorOperators.ADD;

/**
 * Q4_K: super-blocks of 256 values = half d, half dmin, scales[12] (8 six-bit scales and mins, see
 * {@link KQuants#scaleMin}), qs[128]. Each 32-byte group g of qs holds sub-block 2g in its low nibbles and 2g+1 in
 * its high nibbles; value = (d*scale) * q - (dmin*min). Activations: Q8_K.
 */
final class Q4_KMatrix extends WeightMatrix {
    /** Bytes per super-block: half d, half dmin, scales[12], then qs[128]. */
    static final int BLOCK_BYTES = 144;
    /** Offset of qs in a super-block. */
    static final int QUANTS = 16;

    Q4_KMatrix(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
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
            float d = Numbers.f16(data, off);
            float min = Numbers.f16(data, off + 2);
            int o = dstOffset + 256 * sb;
            for (int g = 0; g < 4; g++) {
                int sm0 = KQuants.scaleMin(data, off + 4, 2 * g), sm1 = KQuants.scaleMin(data, off + 4, 2 * g + 1);
                float d1 = d * (sm0 & 0xFF), m1 = min * (sm0 >> 8);
                float d2 = d * (sm1 & 0xFF), m2 = min * (sm1 >> 8);
                for (int l = 0; l < 32; l++) {
                    int q = Numbers.u8(data, off + QUANTS + 32 * g + l);
                    dst[o + 64 * g + l] = d1 * (q & 0xF) - m1;
                    dst[o + 64 * g + 32 + l] = d2 * (q >> 4) - m2;
                }
            }
        }
    }

    @Override
    float vectorDot(int row, float[] x, int xOffset) {
        long base = rowOffset(row, x, xOffset);
        FloatVector acc = FloatVector.zero(FLOATS), accM = FloatVector.zero(FLOATS);
        for (int sb = 0; sb < blocks; sb++) {
            long off = base + (long) sb * BLOCK_BYTES;
            float d = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off));
            float dmin = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + 2));
            long scales = KQuants.packed(data, off + 4, false), mins = KQuants.packed(data, off + 4, true);
            for (int g = 0; g < 4; g++) {
                int sm0 = (int) (scales >>> (16 * g)) & 0xFF | ((int) (mins >>> (16 * g)) & 0xFF) << 8;
                int sm1 = (int) (scales >>> (16 * g + 8)) & 0xFF | ((int) (mins >>> (16 * g + 8)) & 0xFF) << 8;
                long qo = off + QUANTS + 32 * g;
                int xi = xOffset + 256 * sb + 64 * g;
                for (int s = 0; s < 16; s += LANES) {
                    IntVector q0 = Simd.unsignedBytes(data, qo + s);
                    IntVector q1 = Simd.unsignedBytes(data, qo + 16 + s);
                    FloatVector xa = FloatVector.fromArray(FLOATS, x, xi + s), xb = FloatVector.fromArray(FLOATS, x, xi + 16 + s);
                    FloatVector xc = FloatVector.fromArray(FLOATS, x, xi + 32 + s), xd = FloatVector.fromArray(FLOATS, x, xi + 48 + s);
                    FloatVector tLo = ((FloatVector) q0.and(0xF).convert(VectorOperators.I2F, 0)).mul(xa);
                    tLo = ((FloatVector) q1.and(0xF).convert(VectorOperators.I2F, 0)).fma(xb, tLo);
                    FloatVector tHi = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).mul(xc);
                    tHi = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xd, tHi);
                    acc = tLo.fma(FloatVector.broadcast(FLOATS, d * (sm0 & 0xFF)), acc);
                    acc = tHi.fma(FloatVector.broadcast(FLOATS, d * (sm1 & 0xFF)), acc);
                    // the -min of every value contributes -min * sum(x) per sub-block
                    accM = xa.add(xb).fma(FloatVector.broadcast(FLOATS, dmin * (sm0 >> 8)), accM);
                    accM = xc.add(xd).fma(FloatVector.broadcast(FLOATS, dmin * (sm1 >> 8)), accM);
                }
            }
        }
        return acc.sub(accM).reduceLanes(VectorOperators.ADD);
    }

    /**
     * ggml_vec_dot_q4_K_q8_K: per super-block, sumi = sum over sub-blocks of scale * (q . qx) (integers), the min
     * part from the activation's bsums; result += (d*dx) * sumi - (dmin*dx) * sum(min * bsums).
     */
    @Override
    float vectorDot(int row, QuantizedActivation x) {
        checkActivation(x);
        long base = rowOffset(row);
        short[] a = x.q16;
        FloatVector acc = FloatVector.zero(FLOATS);
        float sumMin = 0f;
        for (int sb = 0; sb < blocks; sb++) {
            long off = base + (long) sb * BLOCK_BYTES;
            IntVector accI = IntVector.zero(INTS);
            int summ = 0;
            long scales = KQuants.packed(data, off + 4, false), mins = KQuants.packed(data, off + 4, true);
            for (int g = 0; g < 4; g++) {
                int sm0 = (int) (scales >>> (16 * g)) & 0xFF | ((int) (mins >>> (16 * g)) & 0xFF) << 8;
                int sm1 = (int) (scales >>> (16 * g + 8)) & 0xFF | ((int) (mins >>> (16 * g + 8)) & 0xFF) << 8;
                long qo = off + QUANTS + 32 * g;
                int ai = 256 * sb + 64 * g;
                for (int s = 0; s < 16; s += LANES) {
                    ShortVector q0 = Simd.unsignedByteShorts(data, qo + s);
                    ShortVector q1 = Simd.unsignedByteShorts(data, qo + 16 + s);
                    // 4-bit x 8-bit, two per lane: fits int16; widened before the 6-bit scale multiply
                    ShortVector pLo = q0.and((short) 0xF).mul(ShortVector.fromArray(SHORTS, a, ai + s))
                            .add(q1.and((short) 0xF).mul(ShortVector.fromArray(SHORTS, a, ai + 16 + s)));
                    ShortVector pHi = q0.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(SHORTS, a, ai + 32 + s))
                            .add(q1.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(SHORTS, a, ai + 48 + s)));
                    accI = ((IntVector) pLo.convertShape(VectorOperators.S2I, INTS, 0)).mul(sm0 & 0xFF).add(accI);
                    accI = ((IntVector) pHi.convertShape(VectorOperators.S2I, INTS, 0)).mul(sm1 & 0xFF).add(accI);
                }
                int bs = 16 * sb + 4 * g;
                summ += (sm0 >> 8) * (x.bsums[bs] + x.bsums[bs + 1]) + (sm1 >> 8) * (x.bsums[bs + 2] + x.bsums[bs + 3]);
            }
            float dx = x.d[sb];
            acc = ((FloatVector) accI.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(FLOATS, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx), acc);
            sumMin += Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + 2)) * dx * summ;
        }
        return acc.reduceLanes(VectorOperators.ADD) - sumMin;
    }

    /**
     * 4 weight rows x 4 activation rows (ggml path). Each sub-block's nibbles are decoded once, multiplied by their
     * 6-bit scale (at most 15 * 63, exact in float), and feed 16 accumulators with the activation quants as floats:
     * every lane sums the same integers as {@code dot}'s int lanes, and all partial sums stay below 2^24, so they are
     * exact. Per super-block the lanes are scaled into a per-thread scratch as {@code dot} scales them.
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
            long o0 = b0 + (long) sb * BLOCK_BYTES, o1 = b1 + (long) sb * BLOCK_BYTES, o2 = b2 + (long) sb * BLOCK_BYTES, o3 = b3 + (long) sb * BLOCK_BYTES;
            long sc0 = KQuants.packed(data, o0 + 4, false), sc1 = KQuants.packed(data, o1 + 4, false);
            long sc2 = KQuants.packed(data, o2 + 4, false), sc3 = KQuants.packed(data, o3 + 4, false);
            FloatVector c00 = FloatVector.zero(FLOATS), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
            for (int j = 0; j < 8; j++) { // sub-block j: the low (even j) or high nibbles of qs[32 * (j / 2) ..]
                int shift = 4 * (j & 1);
                FloatVector s0 = FloatVector.broadcast(FLOATS, (float) (sc0 >>> 8 * j & 0xFF)), s1 = FloatVector.broadcast(FLOATS, (float) (sc1 >>> 8 * j & 0xFF));
                FloatVector s2 = FloatVector.broadcast(FLOATS, (float) (sc2 >>> 8 * j & 0xFF)), s3 = FloatVector.broadcast(FLOATS, (float) (sc3 >>> 8 * j & 0xFF));
                for (int p = 0; p < 32; p += LANES) {
                    long q = QUANTS + 32 * (j >> 1) + p;
                    int ai = 256 * sb + 32 * j + p;
                    FloatVector w0 = ((FloatVector) Simd.unsignedBytes(data, o0 + q)
                            .lanewise(VectorOperators.LSHR, shift).and(0xF).convert(VectorOperators.I2F, 0)).mul(s0);
                    FloatVector w1 = ((FloatVector) Simd.unsignedBytes(data, o1 + q)
                            .lanewise(VectorOperators.LSHR, shift).and(0xF).convert(VectorOperators.I2F, 0)).mul(s1);
                    FloatVector w2 = ((FloatVector) Simd.unsignedBytes(data, o2 + q)
                            .lanewise(VectorOperators.LSHR, shift).and(0xF).convert(VectorOperators.I2F, 0)).mul(s2);
                    FloatVector w3 = ((FloatVector) Simd.unsignedBytes(data, o3 + q)
                            .lanewise(VectorOperators.LSHR, shift).and(0xF).convert(VectorOperators.I2F, 0)).mul(s3);
                    FloatVector x;
                    x = FloatVector.fromArray(FLOATS, a0, ai);
                    c00 = w0.fma(x, c00); c10 = w1.fma(x, c10); c20 = w2.fma(x, c20); c30 = w3.fma(x, c30);
                    x = FloatVector.fromArray(FLOATS, a1, ai);
                    c01 = w0.fma(x, c01); c11 = w1.fma(x, c11); c21 = w2.fma(x, c21); c31 = w3.fma(x, c31);
                    x = FloatVector.fromArray(FLOATS, a2, ai);
                    c02 = w0.fma(x, c02); c12 = w1.fma(x, c12); c22 = w2.fma(x, c22); c32 = w3.fma(x, c32);
                    x = FloatVector.fromArray(FLOATS, a3, ai);
                    c03 = w0.fma(x, c03); c13 = w1.fma(x, c13); c23 = w2.fma(x, c23); c33 = w3.fma(x, c33);
                }
            }
            float d0 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, o0)), d1 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, o1));
            float d2 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, o2)), d3 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, o3));
            float e0 = x0.d[sb], e1 = x1.d[sb], e2 = x2.d[sb], e3 = x3.d[sb];
            c00.fma(FloatVector.broadcast(FLOATS, d0 * e0), FloatVector.fromArray(FLOATS, acc, 0)).intoArray(acc, 0);
            c01.fma(FloatVector.broadcast(FLOATS, d0 * e1), FloatVector.fromArray(FLOATS, acc, 16)).intoArray(acc, 16);
            c02.fma(FloatVector.broadcast(FLOATS, d0 * e2), FloatVector.fromArray(FLOATS, acc, 32)).intoArray(acc, 32);
            c03.fma(FloatVector.broadcast(FLOATS, d0 * e3), FloatVector.fromArray(FLOATS, acc, 48)).intoArray(acc, 48);
            c10.fma(FloatVector.broadcast(FLOATS, d1 * e0), FloatVector.fromArray(FLOATS, acc, 64)).intoArray(acc, 64);
            c11.fma(FloatVector.broadcast(FLOATS, d1 * e1), FloatVector.fromArray(FLOATS, acc, 80)).intoArray(acc, 80);
            c12.fma(FloatVector.broadcast(FLOATS, d1 * e2), FloatVector.fromArray(FLOATS, acc, 96)).intoArray(acc, 96);
            c13.fma(FloatVector.broadcast(FLOATS, d1 * e3), FloatVector.fromArray(FLOATS, acc, 112)).intoArray(acc, 112);
            c20.fma(FloatVector.broadcast(FLOATS, d2 * e0), FloatVector.fromArray(FLOATS, acc, 128)).intoArray(acc, 128);
            c21.fma(FloatVector.broadcast(FLOATS, d2 * e1), FloatVector.fromArray(FLOATS, acc, 144)).intoArray(acc, 144);
            c22.fma(FloatVector.broadcast(FLOATS, d2 * e2), FloatVector.fromArray(FLOATS, acc, 160)).intoArray(acc, 160);
            c23.fma(FloatVector.broadcast(FLOATS, d2 * e3), FloatVector.fromArray(FLOATS, acc, 176)).intoArray(acc, 176);
            c30.fma(FloatVector.broadcast(FLOATS, d3 * e0), FloatVector.fromArray(FLOATS, acc, 192)).intoArray(acc, 192);
            c31.fma(FloatVector.broadcast(FLOATS, d3 * e1), FloatVector.fromArray(FLOATS, acc, 208)).intoArray(acc, 208);
            c32.fma(FloatVector.broadcast(FLOATS, d3 * e2), FloatVector.fromArray(FLOATS, acc, 224)).intoArray(acc, 224);
            c33.fma(FloatVector.broadcast(FLOATS, d3 * e3), FloatVector.fromArray(FLOATS, acc, 240)).intoArray(acc, 240);
            minPart(acc, 256, o0, x0, sb);
            minPart(acc, 257, o0, x1, sb);
            minPart(acc, 258, o0, x2, sb);
            minPart(acc, 259, o0, x3, sb);
            minPart(acc, 260, o1, x0, sb);
            minPart(acc, 261, o1, x1, sb);
            minPart(acc, 262, o1, x2, sb);
            minPart(acc, 263, o1, x3, sb);
            minPart(acc, 264, o2, x0, sb);
            minPart(acc, 265, o2, x1, sb);
            minPart(acc, 266, o2, x2, sb);
            minPart(acc, 267, o2, x3, sb);
            minPart(acc, 268, o3, x0, sb);
            minPart(acc, 269, o3, x1, sb);
            minPart(acc, 270, o3, x2, sb);
            minPart(acc, 271, o3, x3, sb);
        }
        out[t0 * outStride + r0] = FloatVector.fromArray(FLOATS, acc, 0).reduceLanes(ADD) - acc[256];
        out[t1 * outStride + r0] = FloatVector.fromArray(FLOATS, acc, 16).reduceLanes(ADD) - acc[257];
        out[t2 * outStride + r0] = FloatVector.fromArray(FLOATS, acc, 32).reduceLanes(ADD) - acc[258];
        out[t3 * outStride + r0] = FloatVector.fromArray(FLOATS, acc, 48).reduceLanes(ADD) - acc[259];
        out[t0 * outStride + r1] = FloatVector.fromArray(FLOATS, acc, 64).reduceLanes(ADD) - acc[260];
        out[t1 * outStride + r1] = FloatVector.fromArray(FLOATS, acc, 80).reduceLanes(ADD) - acc[261];
        out[t2 * outStride + r1] = FloatVector.fromArray(FLOATS, acc, 96).reduceLanes(ADD) - acc[262];
        out[t3 * outStride + r1] = FloatVector.fromArray(FLOATS, acc, 112).reduceLanes(ADD) - acc[263];
        out[t0 * outStride + r2] = FloatVector.fromArray(FLOATS, acc, 128).reduceLanes(ADD) - acc[264];
        out[t1 * outStride + r2] = FloatVector.fromArray(FLOATS, acc, 144).reduceLanes(ADD) - acc[265];
        out[t2 * outStride + r2] = FloatVector.fromArray(FLOATS, acc, 160).reduceLanes(ADD) - acc[266];
        out[t3 * outStride + r2] = FloatVector.fromArray(FLOATS, acc, 176).reduceLanes(ADD) - acc[267];
        out[t0 * outStride + r3] = FloatVector.fromArray(FLOATS, acc, 192).reduceLanes(ADD) - acc[268];
        out[t1 * outStride + r3] = FloatVector.fromArray(FLOATS, acc, 208).reduceLanes(ADD) - acc[269];
        out[t2 * outStride + r3] = FloatVector.fromArray(FLOATS, acc, 224).reduceLanes(ADD) - acc[270];
        out[t3 * outStride + r3] = FloatVector.fromArray(FLOATS, acc, 240).reduceLanes(ADD) - acc[271];
    }

    /** dot's min term of one pair and super-block: (dmin * dx) * sum over sub-blocks of min * (sum of its 32 quants). */
    private void minPart(float[] acc, int i, long off, QuantizedActivation x, int sb) {
        long mins = KQuants.packed(data, off + 4, true);
        int summ = 0;
        for (int j = 0; j < 8; j++) summ += (int) (mins >>> 8 * j & 0xFF) * (x.bsums[16 * sb + 2 * j] + x.bsums[16 * sb + 2 * j + 1]);
        acc[i] += Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + 2)) * x.d[sb] * summ;
    }
}
