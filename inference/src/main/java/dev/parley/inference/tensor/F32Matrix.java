package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** F32 weights: 4-byte little-endian floats. */
final class F32Matrix extends WeightMatrix {
    F32Matrix(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.F32;
    }

    @Override
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        MemorySegment.copy(data, Numbers.LE_FLOAT, rowOffset(row), dst, dstOffset, cols);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = rowOffset(row, x, xOffset);
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int n = F.length(), i = 0;
        for (; i + 2 * n <= cols; i += 2 * n) {
            acc0 = FloatVector.fromMemorySegment(F, data, base + 4L * i, LE).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = FloatVector.fromMemorySegment(F, data, base + 4L * (i + n), LE).fma(FloatVector.fromArray(F, x, xOffset + i + n), acc1);
        }
        float sum = acc0.add(acc1).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        for (; i < cols; i++) sum += data.get(Numbers.LE_FLOAT, base + 4L * i) * x[xOffset + i];
        return sum;
    }

    @Override
    public float dot(int row, QuantizedActivation x) {
        checkActivation(x);
        return dot(row, x.values, 0);
    }
}
