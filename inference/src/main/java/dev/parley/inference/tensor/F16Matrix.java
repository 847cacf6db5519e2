package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/** F16 weights: IEEE halves. ggml rounds the activation to half first, then accumulates in F32. */
final class F16Matrix extends WeightMatrix {
    /** 2^112: scales a half's exponent/mantissa bits, placed in a float's, to the right value (subnormals too). */
    private static final float TWO_POW_112 = Float.intBitsToFloat(0x77800000);

    F16Matrix(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.F16;
    }

    @Override
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        long base = rowOffset(row);
        for (int i = 0; i < cols; i++) dst[dstOffset + i] = Numbers.f16(data, base + 2L * i);
    }

    /**
     * Exact half -> float for 16 lanes without a half-precision vector conversion: shift the 15 exponent+mantissa
     * bits into float position and multiply by 2^112 (exact, and it also normalises subnormal halves); inf/NaN get
     * an all-ones exponent instead; then the sign is put back.
     */
    static FloatVector halfToFloat(ShortVector h) {
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        IntVector em = bits.and(0x7FFF);
        IntVector shifted = em.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = shifted.reinterpretAsFloats().mul(TWO_POW_112).reinterpretAsInts();
        VectorMask<Integer> special = em.compare(VectorOperators.GE, 0x7C00);
        IntVector mag = finite.blend(shifted.or(0x7F800000), special);
        return mag.or(bits.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = rowOffset(row, x, xOffset);
        FloatVector acc = FloatVector.zero(F);
        int n = F.length(), i = 0;
        for (; i + n <= cols; i += n) {
            FloatVector w = halfToFloat(ShortVector.fromMemorySegment(S, data, base + 2L * i, LE));
            acc = w.fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) sum += Numbers.f16(data, base + 2L * i) * x[xOffset + i];
        return sum;
    }

    @Override
    public float dot(int row, QuantizedActivation x) {
        checkActivation(x);
        return dot(row, x.values, 0);
    }
}
