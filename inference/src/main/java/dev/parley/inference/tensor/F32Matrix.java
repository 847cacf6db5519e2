package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static jdk.incubator.vector.VectorOperators.ADD;

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
    boolean unquantized() {
        return true;
    }

    @Override
    void decodeFolded(int row, float[] dst, int off) {
        MemorySegment.copy(data, Numbers.LE_FLOAT, rowOffset(row), dst, off, cols);
    }

    @Override
    float vectorDot(int row, float[] x, int xOffset) {
        long base = rowOffset(row, x, xOffset);
        // one accumulator, as in the tiled kernel, so both give the same sums (memory-bound either way)
        FloatVector acc = FloatVector.zero(FLOATS);
        int n = LANES, i = 0;
        for (; i + n <= cols; i += n) acc = FloatVector.fromMemorySegment(FLOATS, data, base + 4L * i, LE).fma(FloatVector.fromArray(FLOATS, x, xOffset + i), acc);
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) sum += data.get(Numbers.LE_FLOAT, base + 4L * i) * x[xOffset + i];
        return sum;
    }

    @Override
    float vectorDot(int row, QuantizedActivation x) {
        checkActivation(x);
        return dot(row, x.values, 0);
    }

    @Override
    void tile(int r0, int nr, QuantizedActivation[] xs, int t0, int nt, float[] out, int outStride) {
        int t1 = nth(t0, 1, nt), t2 = nth(t0, 2, nt), t3 = nth(t0, 3, nt);
        tile4(r0, nr, xs[t0].values, xs[t1].values, xs[t2].values, xs[t3].values, 0, 0, 0, 0, t0, t1, t2, t3, out, outStride);
        if (cols % LANES != 0)
            for (int r = r0; r < r0 + nr; r++)
                for (int t = t0; t < t0 + nt; t++) out[t * outStride + r] = tail(r, xs[t].values, 0, out[t * outStride + r]);
    }

    @Override
    void tile(int r0, int nr, float[] x, int xStride, int t0, int nt, float[] out, int outStride) {
        int t1 = nth(t0, 1, nt), t2 = nth(t0, 2, nt), t3 = nth(t0, 3, nt);
        tile4(r0, nr, x, x, x, x, t0 * xStride, t1 * xStride, t2 * xStride, t3 * xStride, t0, t1, t2, t3, out, outStride);
        if (cols % LANES != 0)
            for (int r = r0; r < r0 + nr; r++)
                for (int t = t0; t < t0 + nt; t++) out[t * outStride + r] = tail(r, x, t * xStride, out[t * outStride + r]);
    }

    /** The scalar columns past the last whole vector, added to {@code sum} in {@code dot}'s order. */
    private float tail(int row, float[] x, int xOffset, float sum) {
        long base = rowOffset(row);
        for (int i = cols - cols % LANES; i < cols; i++) sum += data.get(Numbers.LE_FLOAT, base + 4L * i) * x[xOffset + i];
        return sum;
    }

    /** 4 weight rows x 4 activation rows over the whole vectors of the rows: each weight vector feeds 4 FMAs. */
    private void tile4(int r0, int nr, float[] x0, float[] x1, float[] x2, float[] x3, int o0, int o1, int o2, int o3,
                       int t0, int t1, int t2, int t3, float[] out, int outStride) {
        int r1 = nth(r0, 1, nr), r2 = nth(r0, 2, nr), r3 = nth(r0, 3, nr);
        long b0 = rowOffset(r0), b1 = rowOffset(r1), b2 = rowOffset(r2), b3 = rowOffset(r3);
        FloatVector c00 = FloatVector.zero(FLOATS), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int i = 0; i + LANES <= cols; i += LANES) {
            FloatVector w0 = FloatVector.fromMemorySegment(FLOATS, data, b0 + 4L * i, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(FLOATS, data, b1 + 4L * i, LE);
            FloatVector w2 = FloatVector.fromMemorySegment(FLOATS, data, b2 + 4L * i, LE);
            FloatVector w3 = FloatVector.fromMemorySegment(FLOATS, data, b3 + 4L * i, LE);
            FloatVector x;
            x = FloatVector.fromArray(FLOATS, x0, o0 + i);
            c00 = w0.fma(x, c00);
            c10 = w1.fma(x, c10);
            c20 = w2.fma(x, c20);
            c30 = w3.fma(x, c30);
            x = FloatVector.fromArray(FLOATS, x1, o1 + i);
            c01 = w0.fma(x, c01);
            c11 = w1.fma(x, c11);
            c21 = w2.fma(x, c21);
            c31 = w3.fma(x, c31);
            x = FloatVector.fromArray(FLOATS, x2, o2 + i);
            c02 = w0.fma(x, c02);
            c12 = w1.fma(x, c12);
            c22 = w2.fma(x, c22);
            c32 = w3.fma(x, c32);
            x = FloatVector.fromArray(FLOATS, x3, o3 + i);
            c03 = w0.fma(x, c03);
            c13 = w1.fma(x, c13);
            c23 = w2.fma(x, c23);
            c33 = w3.fma(x, c33);
        }
        // written out here rather than by a helper: vectors passed to a call that is not inlined get boxed
        out[t0 * outStride + r0] = c00.reduceLanes(ADD); out[t1 * outStride + r0] = c01.reduceLanes(ADD);
        out[t2 * outStride + r0] = c02.reduceLanes(ADD); out[t3 * outStride + r0] = c03.reduceLanes(ADD);
        out[t0 * outStride + r1] = c10.reduceLanes(ADD); out[t1 * outStride + r1] = c11.reduceLanes(ADD);
        out[t2 * outStride + r1] = c12.reduceLanes(ADD); out[t3 * outStride + r1] = c13.reduceLanes(ADD);
        out[t0 * outStride + r2] = c20.reduceLanes(ADD); out[t1 * outStride + r2] = c21.reduceLanes(ADD);
        out[t2 * outStride + r2] = c22.reduceLanes(ADD); out[t3 * outStride + r2] = c23.reduceLanes(ADD);
        out[t0 * outStride + r3] = c30.reduceLanes(ADD); out[t1 * outStride + r3] = c31.reduceLanes(ADD);
        out[t2 * outStride + r3] = c32.reduceLanes(ADD); out[t3 * outStride + r3] = c33.reduceLanes(ADD);
    }
}
