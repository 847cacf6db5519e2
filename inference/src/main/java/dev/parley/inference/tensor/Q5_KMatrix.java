package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_K: super-blocks of 256 values = half d, half dmin, scales[12] (as Q4_K), qh[32], qs[128]. As Q4_K, plus a
 * fifth bit: value l of 32-byte group g gets bit 2g of qh[l] (low nibble, sub-block 2g) or bit 2g+1 (high nibble,
 * sub-block 2g+1) as its 16s bit. Activations: Q8_K.
 */
final class Q5_KMatrix extends WeightMatrix {
    /** Bytes per super-block: half d, half dmin, scales[12], qh[32], then qs[128]. */
    static final int BLOCK_BYTES = 176;
    /** Offsets of qh and qs in a super-block. */
    static final int HIGH_BITS = 16, QUANTS = 48;

    Q5_KMatrix(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_K;
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
                    int h = Numbers.u8(data, off + HIGH_BITS + l);
                    dst[o + 64 * g + l] = d1 * ((q & 0xF) + (((h >> (2 * g)) & 1) << 4)) - m1;
                    dst[o + 64 * g + 32 + l] = d2 * ((q >> 4) + (((h >> (2 * g + 1)) & 1) << 4)) - m2;
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
                    IntVector h0 = Simd.unsignedBytes(data, off + HIGH_BITS + s), h1 = Simd.unsignedBytes(data, off + HIGH_BITS + 16 + s);
                    IntVector q0 = Simd.unsignedBytes(data, qo + s);
                    IntVector q1 = Simd.unsignedBytes(data, qo + 16 + s);
                    int sLo = 2 * g, sHi = 2 * g + 1;
                    IntVector lo0 = q0.and(0xF).or(h0.lanewise(VectorOperators.LSHR, sLo).and(1).lanewise(VectorOperators.LSHL, 4));
                    IntVector lo1 = q1.and(0xF).or(h1.lanewise(VectorOperators.LSHR, sLo).and(1).lanewise(VectorOperators.LSHL, 4));
                    IntVector hi0 = q0.lanewise(VectorOperators.LSHR, 4).or(h0.lanewise(VectorOperators.LSHR, sHi).and(1).lanewise(VectorOperators.LSHL, 4));
                    IntVector hi1 = q1.lanewise(VectorOperators.LSHR, 4).or(h1.lanewise(VectorOperators.LSHR, sHi).and(1).lanewise(VectorOperators.LSHL, 4));
                    FloatVector xa = FloatVector.fromArray(FLOATS, x, xi + s), xb = FloatVector.fromArray(FLOATS, x, xi + 16 + s);
                    FloatVector xc = FloatVector.fromArray(FLOATS, x, xi + 32 + s), xd = FloatVector.fromArray(FLOATS, x, xi + 48 + s);
                    FloatVector tLo = ((FloatVector) lo0.convert(VectorOperators.I2F, 0)).mul(xa);
                    tLo = ((FloatVector) lo1.convert(VectorOperators.I2F, 0)).fma(xb, tLo);
                    FloatVector tHi = ((FloatVector) hi0.convert(VectorOperators.I2F, 0)).mul(xc);
                    tHi = ((FloatVector) hi1.convert(VectorOperators.I2F, 0)).fma(xd, tHi);
                    acc = tLo.fma(FloatVector.broadcast(FLOATS, d * (sm0 & 0xFF)), acc);
                    acc = tHi.fma(FloatVector.broadcast(FLOATS, d * (sm1 & 0xFF)), acc);
                    accM = xa.add(xb).fma(FloatVector.broadcast(FLOATS, dmin * (sm0 >> 8)), accM);
                    accM = xc.add(xd).fma(FloatVector.broadcast(FLOATS, dmin * (sm1 >> 8)), accM);
                }
            }
        }
        return acc.sub(accM).reduceLanes(VectorOperators.ADD);
    }

    /** ggml_vec_dot_q5_K_q8_K: as Q4_K with 5-bit quants. */
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
                    ShortVector h0 = Simd.unsignedByteShorts(data, off + HIGH_BITS + s), h1 = Simd.unsignedByteShorts(data, off + HIGH_BITS + 16 + s);
                    ShortVector q0 = Simd.unsignedByteShorts(data, qo + s);
                    ShortVector q1 = Simd.unsignedByteShorts(data, qo + 16 + s);
                    int sLo = 2 * g, sHi = 2 * g + 1;
                    ShortVector lo0 = q0.and((short) 0xF).or(h0.lanewise(VectorOperators.LSHR, sLo).and((short) 1).lanewise(VectorOperators.LSHL, 4));
                    ShortVector lo1 = q1.and((short) 0xF).or(h1.lanewise(VectorOperators.LSHR, sLo).and((short) 1).lanewise(VectorOperators.LSHL, 4));
                    ShortVector hi0 = q0.lanewise(VectorOperators.LSHR, 4).or(h0.lanewise(VectorOperators.LSHR, sHi).and((short) 1).lanewise(VectorOperators.LSHL, 4));
                    ShortVector hi1 = q1.lanewise(VectorOperators.LSHR, 4).or(h1.lanewise(VectorOperators.LSHR, sHi).and((short) 1).lanewise(VectorOperators.LSHL, 4));
                    // 5-bit x 8-bit, two per lane: at most 2*31*128, fits int16
                    ShortVector pLo = lo0.mul(ShortVector.fromArray(SHORTS, a, ai + s)).add(lo1.mul(ShortVector.fromArray(SHORTS, a, ai + 16 + s)));
                    ShortVector pHi = hi0.mul(ShortVector.fromArray(SHORTS, a, ai + 32 + s)).add(hi1.mul(ShortVector.fromArray(SHORTS, a, ai + 48 + s)));
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
}
