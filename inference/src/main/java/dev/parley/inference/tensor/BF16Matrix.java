package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** BF16 weights: the upper 16 bits of a float. */
final class BF16Matrix extends WeightMatrix {
    BF16Matrix(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.BF16;
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.BF16;
    }

    @Override
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        long base = rowOffset(row);
        for (int i = 0; i < cols; i++) dst[dstOffset + i] = Numbers.bf16ToFloat(data.get(Numbers.LE_SHORT, base + 2L * i));
    }

    @Override
    float vectorDot(int row, float[] x, int xOffset) {
        long base = rowOffset(row, x, xOffset);
        FloatVector acc = FloatVector.zero(FLOATS);
        int n = LANES, i = 0;
        for (; i + n <= cols; i += n) {
            // sign-extension fills the upper 16 bits, which the shift discards
            IntVector bits = (IntVector) ShortVector.fromMemorySegment(SHORTS, data, base + 2L * i, LE).convertShape(VectorOperators.S2I, INTS, 0);
            FloatVector w = bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            acc = w.fma(FloatVector.fromArray(FLOATS, x, xOffset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) sum += Numbers.bf16ToFloat(data.get(Numbers.LE_SHORT, base + 2L * i)) * x[xOffset + i];
        return sum;
    }

    @Override
    float vectorDot(int row, QuantizedActivation x) {
        checkActivation(x);
        return dot(row, x.values, 0);
    }
}
