package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
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
            long off = base + 176L * sb;
            float d = Numbers.f16(data, off);
            float min = Numbers.f16(data, off + 2);
            int o = dstOffset + 256 * sb;
            for (int g = 0; g < 4; g++) {
                int sm0 = KQuants.scaleMin(data, off + 4, 2 * g), sm1 = KQuants.scaleMin(data, off + 4, 2 * g + 1);
                float d1 = d * (sm0 & 0xFF), m1 = min * (sm0 >> 8);
                float d2 = d * (sm1 & 0xFF), m2 = min * (sm1 >> 8);
                for (int l = 0; l < 32; l++) {
                    int q = Numbers.u8(data, off + 48 + 32 * g + l);
                    int h = Numbers.u8(data, off + 16 + l);
                    dst[o + 64 * g + l] = d1 * ((q & 0xF) + (((h >> (2 * g)) & 1) << 4)) - m1;
                    dst[o + 64 * g + 32 + l] = d2 * ((q >> 4) + (((h >> (2 * g + 1)) & 1) << 4)) - m2;
                }
            }
        }
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = rowOffset(row, x, xOffset);
        FloatVector acc = FloatVector.zero(F), accM = FloatVector.zero(F);
        for (int sb = 0; sb < blocks; sb++) {
            long off = base + 176L * sb;
            float d = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off));
            float dmin = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + 2));
            IntVector h0 = (IntVector) ByteVector.fromMemorySegment(B, data, off + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector h1 = (IntVector) ByteVector.fromMemorySegment(B, data, off + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            long scales = KQuants.packed(data, off + 4, false), mins = KQuants.packed(data, off + 4, true);
            for (int g = 0; g < 4; g++) {
                int sm0 = (int) (scales >>> (16 * g)) & 0xFF | ((int) (mins >>> (16 * g)) & 0xFF) << 8;
                int sm1 = (int) (scales >>> (16 * g + 8)) & 0xFF | ((int) (mins >>> (16 * g + 8)) & 0xFF) << 8;
                long qo = off + 48 + 32 * g;
                int xi = xOffset + 256 * sb + 64 * g;
                IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, data, qo, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, data, qo + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                int sLo = 2 * g, sHi = 2 * g + 1;
                IntVector lo0 = q0.and(0xF).or(h0.lanewise(VectorOperators.LSHR, sLo).and(1).lanewise(VectorOperators.LSHL, 4));
                IntVector lo1 = q1.and(0xF).or(h1.lanewise(VectorOperators.LSHR, sLo).and(1).lanewise(VectorOperators.LSHL, 4));
                IntVector hi0 = q0.lanewise(VectorOperators.LSHR, 4).or(h0.lanewise(VectorOperators.LSHR, sHi).and(1).lanewise(VectorOperators.LSHL, 4));
                IntVector hi1 = q1.lanewise(VectorOperators.LSHR, 4).or(h1.lanewise(VectorOperators.LSHR, sHi).and(1).lanewise(VectorOperators.LSHL, 4));
                FloatVector xa = FloatVector.fromArray(F, x, xi), xb = FloatVector.fromArray(F, x, xi + 16);
                FloatVector xc = FloatVector.fromArray(F, x, xi + 32), xd = FloatVector.fromArray(F, x, xi + 48);
                FloatVector tLo = ((FloatVector) lo0.convert(VectorOperators.I2F, 0)).mul(xa);
                tLo = ((FloatVector) lo1.convert(VectorOperators.I2F, 0)).fma(xb, tLo);
                FloatVector tHi = ((FloatVector) hi0.convert(VectorOperators.I2F, 0)).mul(xc);
                tHi = ((FloatVector) hi1.convert(VectorOperators.I2F, 0)).fma(xd, tHi);
                acc = tLo.fma(FloatVector.broadcast(F, d * (sm0 & 0xFF)), acc);
                acc = tHi.fma(FloatVector.broadcast(F, d * (sm1 & 0xFF)), acc);
                accM = xa.add(xb).fma(FloatVector.broadcast(F, dmin * (sm0 >> 8)), accM);
                accM = xc.add(xd).fma(FloatVector.broadcast(F, dmin * (sm1 >> 8)), accM);
            }
        }
        return acc.sub(accM).reduceLanes(VectorOperators.ADD);
    }

    /** ggml_vec_dot_q5_K_q8_K: as Q4_K with 5-bit quants. */
    @Override
    public float dot(int row, QuantizedActivation x) {
        checkActivation(x);
        long base = rowOffset(row);
        short[] a = x.q16;
        FloatVector acc = FloatVector.zero(F);
        float sumMin = 0f;
        for (int sb = 0; sb < blocks; sb++) {
            long off = base + 176L * sb;
            ShortVector h0 = (ShortVector) ByteVector.fromMemorySegment(B, data, off + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            ShortVector h1 = (ShortVector) ByteVector.fromMemorySegment(B, data, off + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            IntVector accI = IntVector.zero(I);
            int summ = 0;
            long scales = KQuants.packed(data, off + 4, false), mins = KQuants.packed(data, off + 4, true);
            for (int g = 0; g < 4; g++) {
                int sm0 = (int) (scales >>> (16 * g)) & 0xFF | ((int) (mins >>> (16 * g)) & 0xFF) << 8;
                int sm1 = (int) (scales >>> (16 * g + 8)) & 0xFF | ((int) (mins >>> (16 * g + 8)) & 0xFF) << 8;
                long qo = off + 48 + 32 * g;
                int ai = 256 * sb + 64 * g;
                ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(B, data, qo, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(B, data, qo + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                int sLo = 2 * g, sHi = 2 * g + 1;
                ShortVector lo0 = q0.and((short) 0xF).or(h0.lanewise(VectorOperators.LSHR, sLo).and((short) 1).lanewise(VectorOperators.LSHL, 4));
                ShortVector lo1 = q1.and((short) 0xF).or(h1.lanewise(VectorOperators.LSHR, sLo).and((short) 1).lanewise(VectorOperators.LSHL, 4));
                ShortVector hi0 = q0.lanewise(VectorOperators.LSHR, 4).or(h0.lanewise(VectorOperators.LSHR, sHi).and((short) 1).lanewise(VectorOperators.LSHL, 4));
                ShortVector hi1 = q1.lanewise(VectorOperators.LSHR, 4).or(h1.lanewise(VectorOperators.LSHR, sHi).and((short) 1).lanewise(VectorOperators.LSHL, 4));
                // 5-bit x 8-bit, two per lane: at most 2*31*128, fits int16
                ShortVector pLo = lo0.mul(ShortVector.fromArray(S, a, ai)).add(lo1.mul(ShortVector.fromArray(S, a, ai + 16)));
                ShortVector pHi = hi0.mul(ShortVector.fromArray(S, a, ai + 32)).add(hi1.mul(ShortVector.fromArray(S, a, ai + 48)));
                accI = ((IntVector) pLo.convertShape(VectorOperators.S2I, I, 0)).mul(sm0 & 0xFF).add(accI);
                accI = ((IntVector) pHi.convertShape(VectorOperators.S2I, I, 0)).mul(sm1 & 0xFF).add(accI);
                int bs = 16 * sb + 4 * g;
                summ += (sm0 >> 8) * (x.bsums[bs] + x.bsums[bs + 1]) + (sm1 >> 8) * (x.bsums[bs + 2] + x.bsums[bs + 3]);
            }
            float dx = x.d[sb];
            acc = ((FloatVector) accI.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx), acc);
            sumMin += Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + 2)) * dx * summ;
        }
        return acc.reduceLanes(VectorOperators.ADD) - sumMin;
    }
}
