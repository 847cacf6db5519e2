package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K: super-blocks of 256 values = half d, half dmin, scales[12] (8 six-bit scales and mins, see
 * {@link KQuants#scaleMin}), qs[128]. Each 32-byte group g of qs holds sub-block 2g in its low nibbles and 2g+1 in
 * its high nibbles; value = (d*scale) * q - (dmin*min). Activations: Q8_K.
 */
final class Q4_KMatrix extends WeightMatrix {
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
            long off = base + 144L * sb;
            float d = Numbers.f16(data, off);
            float min = Numbers.f16(data, off + 2);
            int o = dstOffset + 256 * sb;
            for (int g = 0; g < 4; g++) {
                int sm0 = KQuants.scaleMin(data, off + 4, 2 * g), sm1 = KQuants.scaleMin(data, off + 4, 2 * g + 1);
                float d1 = d * (sm0 & 0xFF), m1 = min * (sm0 >> 8);
                float d2 = d * (sm1 & 0xFF), m2 = min * (sm1 >> 8);
                for (int l = 0; l < 32; l++) {
                    int q = Numbers.u8(data, off + 16 + 32 * g + l);
                    dst[o + 64 * g + l] = d1 * (q & 0xF) - m1;
                    dst[o + 64 * g + 32 + l] = d2 * (q >> 4) - m2;
                }
            }
        }
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = rowOffset(row, x, xOffset);
        FloatVector acc = FloatVector.zero(F), accM = FloatVector.zero(F);
        for (int sb = 0; sb < blocks; sb++) {
            long off = base + 144L * sb;
            float d = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off));
            float dmin = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + 2));
            long scales = KQuants.packed(data, off + 4, false), mins = KQuants.packed(data, off + 4, true);
            for (int g = 0; g < 4; g++) {
                int sm0 = (int) (scales >>> (16 * g)) & 0xFF | ((int) (mins >>> (16 * g)) & 0xFF) << 8;
                int sm1 = (int) (scales >>> (16 * g + 8)) & 0xFF | ((int) (mins >>> (16 * g + 8)) & 0xFF) << 8;
                long qo = off + 16 + 32 * g;
                int xi = xOffset + 256 * sb + 64 * g;
                IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, data, qo, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, data, qo + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector xa = FloatVector.fromArray(F, x, xi), xb = FloatVector.fromArray(F, x, xi + 16);
                FloatVector xc = FloatVector.fromArray(F, x, xi + 32), xd = FloatVector.fromArray(F, x, xi + 48);
                FloatVector tLo = ((FloatVector) q0.and(0xF).convert(VectorOperators.I2F, 0)).mul(xa);
                tLo = ((FloatVector) q1.and(0xF).convert(VectorOperators.I2F, 0)).fma(xb, tLo);
                FloatVector tHi = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).mul(xc);
                tHi = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xd, tHi);
                acc = tLo.fma(FloatVector.broadcast(F, d * (sm0 & 0xFF)), acc);
                acc = tHi.fma(FloatVector.broadcast(F, d * (sm1 & 0xFF)), acc);
                // the -min of every value contributes -min * sum(x) per sub-block
                accM = xa.add(xb).fma(FloatVector.broadcast(F, dmin * (sm0 >> 8)), accM);
                accM = xc.add(xd).fma(FloatVector.broadcast(F, dmin * (sm1 >> 8)), accM);
            }
        }
        return acc.sub(accM).reduceLanes(VectorOperators.ADD);
    }

    /**
     * ggml_vec_dot_q4_K_q8_K: per super-block, sumi = sum over sub-blocks of scale * (q . qx) (integers), the min
     * part from the activation's bsums; result += (d*dx) * sumi - (dmin*dx) * sum(min * bsums).
     */
    @Override
    public float dot(int row, QuantizedActivation x) {
        checkActivation(x);
        long base = rowOffset(row);
        short[] a = x.q16;
        FloatVector acc = FloatVector.zero(F);
        float sumMin = 0f;
        for (int sb = 0; sb < blocks; sb++) {
            long off = base + 144L * sb;
            IntVector accI = IntVector.zero(I);
            int summ = 0;
            long scales = KQuants.packed(data, off + 4, false), mins = KQuants.packed(data, off + 4, true);
            for (int g = 0; g < 4; g++) {
                int sm0 = (int) (scales >>> (16 * g)) & 0xFF | ((int) (mins >>> (16 * g)) & 0xFF) << 8;
                int sm1 = (int) (scales >>> (16 * g + 8)) & 0xFF | ((int) (mins >>> (16 * g + 8)) & 0xFF) << 8;
                long qo = off + 16 + 32 * g;
                int ai = 256 * sb + 64 * g;
                ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(B, data, qo, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(B, data, qo + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                // 4-bit x 8-bit, two per lane: fits int16; widened before the 6-bit scale multiply
                ShortVector pLo = q0.and((short) 0xF).mul(ShortVector.fromArray(S, a, ai))
                        .add(q1.and((short) 0xF).mul(ShortVector.fromArray(S, a, ai + 16)));
                ShortVector pHi = q0.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S, a, ai + 32))
                        .add(q1.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S, a, ai + 48)));
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
