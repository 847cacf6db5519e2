package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_1: blocks of 32 values = half d, half m, qs[16]; value = nibble * d + m (low nibbles are values 0..15, high
 * nibbles 16..31). Activations: Q8_1.
 */
final class Q4_1Matrix extends WeightMatrix {
    /** Bytes per block: half d, half m, then 16 bytes of nibbles. */
    static final int BLOCK_BYTES = 20;
    /** Offset of the nibbles in a block. */
    static final int QUANTS = 4;

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
            long off = base + (long) b * BLOCK_BYTES;
            float d = Numbers.f16(data, off);
            float m = Numbers.f16(data, off + 2);
            int o = dstOffset + 32 * b;
            for (int j = 0; j < 16; j++) {
                int q = Numbers.u8(data, off + QUANTS + j);
                dst[o + j] = (q & 0xF) * d + m;
                dst[o + j + 16] = (q >> 4) * d + m;
            }
        }
    }

    @Override
    float vectorDot(int row, float[] x, int xOffset) {
        long base = rowOffset(row, x, xOffset);
        FloatVector acc = FloatVector.zero(FLOATS), accM = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            int xi = xOffset + 32 * b;
            FloatVector d = FloatVector.broadcast(FLOATS, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)));
            FloatVector m = FloatVector.broadcast(FLOATS, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + 2)));
            for (int g = 0; g < 16; g += LANES) {
                IntVector q = Simd.unsignedBytes(data, off + QUANTS + g);
                FloatVector lo = (FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0);
                FloatVector hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0);
                FloatVector x0 = FloatVector.fromArray(FLOATS, x, xi + g), x1 = FloatVector.fromArray(FLOATS, x, xi + 16 + g);
                FloatVector t = hi.fma(x1, lo.mul(x0));
                acc = t.fma(d, acc);
                // the +m of every value contributes m * sum(x) per block
                accM = x0.add(x1).fma(m, accM);
            }
        }
        return acc.add(accM).reduceLanes(VectorOperators.ADD);
    }

    /** ggml_vec_dot_q4_1_q8_1: per block (dw*dx) * sumi + mw * sx, where sx = dx * sum(qx) comes with the activation. */
    @Override
    float vectorDot(int row, QuantizedActivation x) {
        checkActivation(x);
        long base = rowOffset(row);
        short[] a = x.q16;
        float[] dx = x.d, sx = x.s;
        FloatVector acc = FloatVector.zero(FLOATS);
        float sumM = 0f;
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            FloatVector scale = FloatVector.broadcast(FLOATS, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx[b]);
            for (int g = 0; g < 16; g += LANES) {
                ShortVector q = Simd.unsignedByteShorts(data, off + QUANTS + g);
                ShortVector lo = q.and((short) 0xF);
                ShortVector hi = q.lanewise(VectorOperators.LSHR, 4);
                ShortVector p = lo.mul(ShortVector.fromArray(SHORTS, a, 32 * b + g)).add(hi.mul(ShortVector.fromArray(SHORTS, a, 32 * b + 16 + g)));
                acc = ((FloatVector) p.convertShape(VectorOperators.S2F, FLOATS, 0)).fma(scale, acc);
            }
            sumM += Float.float16ToFloat(data.get(Numbers.LE_SHORT, off + 2)) * sx[b];
        }
        return acc.reduceLanes(VectorOperators.ADD) + sumM;
    }

    /** Without native vectors: ggml's integer sums and its m * s term, block by block. */
    @Override
    float scalarDot(int row, QuantizedActivation x) {
        return scalarDotWithMin(row, x, BLOCK_BYTES);
    }

    @Override
    int scalarBlockSum(long off, QuantizedActivation x, int b) {
        int sumi = 0;
        for (int j = 0; j < 16; j++) {
            int q = Numbers.u8(data, off + QUANTS + j);
            sumi += (q & 0xF) * x.q8[32 * b + j] + (q >> 4) * x.q8[32 * b + 16 + j];
        }
        return sumi;
    }
}
