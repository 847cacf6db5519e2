package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import static jdk.incubator.vector.VectorOperators.ADD;

/**
 * Q8_0: blocks of 32 values = half d, int8 qs[32]; value = qs * d. Activations: Q8_0. A folded format: every kernel
 * multiplies qs * d (exact in float) with the activation's q * d, lane by lane in column order, so B=1, the 4x4 tile
 * and the panel agree bit for bit at any vector width.
 */
final class Q8_0Matrix extends WeightMatrix {
    Q8_0Matrix(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_0;
    }

    /** Bytes per block: the half scale, then 32 int8 quants. */
    static final int BLOCK_BYTES = 34;
    /** Offset of the quants in a block. */
    static final int QUANTS = 2;

    @Override
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        long base = rowOffset(row);
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            float d = Numbers.f16(data, off);
            for (int j = 0; j < 32; j++) dst[dstOffset + 32 * b + j] = data.get(ValueLayout.JAVA_BYTE, off + QUANTS + j) * d;
        }
    }

    @Override
    boolean folded() {
        return true;
    }

    @Override
    void decodeFolded(int row, float[] dst, int off) {
        long base = rowOffset(row);
        Objects.checkFromIndexSize(off, cols, dst.length);
        for (int b = 0; b < blocks; b++) {
            long k = base + (long) b * BLOCK_BYTES + QUANTS;
            FloatVector d = FloatVector.broadcast(FLOATS, Float.float16ToFloat(data.get(Numbers.LE_SHORT, k - QUANTS)));
            for (int g = 0; g < 32; g += BYTES.length()) {
                ByteVector q = ByteVector.fromMemorySegment(BYTES, data, k + g, LE);
                for (int p = 0; p < Simd.BYTE_PARTS; p++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, FLOATS, p)).mul(d).intoArray(dst, off + 32 * b + g + p * LANES);
                }
            }
        }
    }

    @Override
    float vectorDot(int row, float[] x, int xOffset) {
        return dotFolded(rowOffset(row, x, xOffset), x, xOffset);
    }

    /**
     * ggml_vec_dot_q8_0_q8_0. Batch-invariant ({@link WeightMatrix#BATCH_INVARIANT}): its numbers (qw*dw times qx*dx,
     * see {@link QuantizedActivation#scaled}) folded as the tile and the panel fold them. Otherwise grouped as ggml
     * groups them, each block's quant products summed before one scaling: fewer vector operations per block.
     */
    @Override
    float vectorDot(int row, QuantizedActivation x) {
        checkActivation(x);
        if (BATCH_INVARIANT) return dotFolded(rowOffset(row), x.scaled, 0);
        return int16Dot(rowOffset(row), x.q16, x.d);
    }

    @Override
    boolean hasInt16Dot() {
        return true;
    }

    @Override
    float int16Dot(long base, short[] qx, float[] dx) {
        return LANES == 16 ? dotInt16(base, qx, dx) : dotInt16Pairs(base, qx, dx);
    }

    /**
     * 16 lanes: kernels.md's "256-bit halves", the best B=1 Q8_0 kernel it measured on AVX-512 (0.91 of read
     * bandwidth): each block half widened to 16 int16 lanes and multiplied with the int16 activation quants, the two
     * halves added in int16 (|sum| &lt;= 2 * 128 * 127 fits), one conversion to floats, one FMA with dw * dx.
     * Two blocks per iteration into two accumulators: 1B Q8_0 decode 15.6-15.9 -&gt; 17.9-18.9 tok/s (512 bits,
     * alternating runs), from half the loop overhead and two independent FMA chains.
     */
    private float dotInt16(long base, short[] qx, float[] dx) {
        FloatVector acc0 = FloatVector.zero(FLOATS), acc1 = acc0;
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long off = base + (long) b * BLOCK_BYTES, off1 = off + BLOCK_BYTES;
            int xi = 32 * b;
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(BYTES, data, off + QUANTS, LE).convertShape(VectorOperators.B2S, SHORTS, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(BYTES, data, off + QUANTS + 16, LE).convertShape(VectorOperators.B2S, SHORTS, 0);
            ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(BYTES, data, off1 + QUANTS, LE).convertShape(VectorOperators.B2S, SHORTS, 0);
            ShortVector v1 = (ShortVector) ByteVector.fromMemorySegment(BYTES, data, off1 + QUANTS + 16, LE).convertShape(VectorOperators.B2S, SHORTS, 0);
            ShortVector p0 = w0.mul(ShortVector.fromArray(SHORTS, qx, xi)).add(w1.mul(ShortVector.fromArray(SHORTS, qx, xi + 16)));
            ShortVector p1 = v0.mul(ShortVector.fromArray(SHORTS, qx, xi + 32)).add(v1.mul(ShortVector.fromArray(SHORTS, qx, xi + 48)));
            float scale0 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx[b];
            float scale1 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off1)) * dx[b + 1];
            acc0 = ((FloatVector) p0.convertShape(VectorOperators.S2F, FLOATS, 0)).fma(FloatVector.broadcast(FLOATS, scale0), acc0);
            acc1 = ((FloatVector) p1.convertShape(VectorOperators.S2F, FLOATS, 0)).fma(FloatVector.broadcast(FLOATS, scale1), acc1);
        }
        if (b < blocks) { // an odd block count: the last block alone
            long off = base + (long) b * BLOCK_BYTES;
            int xi = 32 * b;
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(BYTES, data, off + QUANTS, LE).convertShape(VectorOperators.B2S, SHORTS, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(BYTES, data, off + QUANTS + 16, LE).convertShape(VectorOperators.B2S, SHORTS, 0);
            ShortVector p = w0.mul(ShortVector.fromArray(SHORTS, qx, xi)).add(w1.mul(ShortVector.fromArray(SHORTS, qx, xi + 16)));
            float scale = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx[b];
            acc0 = ((FloatVector) p.convertShape(VectorOperators.S2F, FLOATS, 0)).fma(FloatVector.broadcast(FLOATS, scale), acc0);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /**
     * 8 or 4 lanes: kernels-avx2.md's int16 Q8_0 kernel (q8iD). Int16 products of weight and activation quants over
     * the full width (twice the float lanes), two products added in int16 (|sum| &lt;= 2 * 128 * 127 fits), adjacent
     * int16 lanes summed into int lanes through a reinterpretation and shifts (a short-to-int conversion of the upper
     * half stalls at 256 bits; the shorter {@code (v + (v << 16)) >> 16} overflows when both halves are near their
     * maximum), one conversion and one FMA with dw * dx per block; two blocks per iteration into two accumulators.
     * 1B Q8_0 decode at 256 bits (alternating runs): 14.3-14.4 tok/s with the per-block f32 kernel (q8fD), 16.5-17.1
     * with this one a block at a time, 20.0 with two.
     */
    private float dotInt16Pairs(long base, short[] qx, float[] dx) {
        FloatVector acc0 = FloatVector.zero(FLOATS), acc1 = acc0;
        int step = PAIRED_SHORTS.length();
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long off = base + (long) b * BLOCK_BYTES, off1 = off + BLOCK_BYTES;
            int xi = 32 * b;
            IntVector s0 = IntVector.zero(INTS), s1 = s0;
            for (int g = 0; g < 32; g += 2 * step) {
                ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(PAIRED_BYTES, data, off + QUANTS + g, LE)
                        .convertShape(VectorOperators.B2S, PAIRED_SHORTS, 0);
                ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(PAIRED_BYTES, data, off + QUANTS + g + step, LE)
                        .convertShape(VectorOperators.B2S, PAIRED_SHORTS, 0);
                ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(PAIRED_BYTES, data, off1 + QUANTS + g, LE)
                        .convertShape(VectorOperators.B2S, PAIRED_SHORTS, 0);
                ShortVector v1 = (ShortVector) ByteVector.fromMemorySegment(PAIRED_BYTES, data, off1 + QUANTS + g + step, LE)
                        .convertShape(VectorOperators.B2S, PAIRED_SHORTS, 0);
                IntVector p0 = w0.mul(ShortVector.fromArray(PAIRED_SHORTS, qx, xi + g))
                        .add(w1.mul(ShortVector.fromArray(PAIRED_SHORTS, qx, xi + g + step))).reinterpretAsInts();
                IntVector p1 = v0.mul(ShortVector.fromArray(PAIRED_SHORTS, qx, xi + 32 + g))
                        .add(v1.mul(ShortVector.fromArray(PAIRED_SHORTS, qx, xi + 32 + g + step))).reinterpretAsInts();
                s0 = s0.add(p0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).add(p0.lanewise(VectorOperators.ASHR, 16));
                s1 = s1.add(p1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).add(p1.lanewise(VectorOperators.ASHR, 16));
            }
            float scale0 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx[b];
            float scale1 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off1)) * dx[b + 1];
            acc0 = ((FloatVector) s0.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(FLOATS, scale0), acc0);
            acc1 = ((FloatVector) s1.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(FLOATS, scale1), acc1);
        }
        if (b < blocks) { // an odd block count: the last block alone
            long off = base + (long) b * BLOCK_BYTES;
            int xi = 32 * b;
            IntVector sums = IntVector.zero(INTS);
            for (int g = 0; g < 32; g += 2 * step) {
                ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(PAIRED_BYTES, data, off + QUANTS + g, LE)
                        .convertShape(VectorOperators.B2S, PAIRED_SHORTS, 0);
                ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(PAIRED_BYTES, data, off + QUANTS + g + step, LE)
                        .convertShape(VectorOperators.B2S, PAIRED_SHORTS, 0);
                IntVector pairs = w0.mul(ShortVector.fromArray(PAIRED_SHORTS, qx, xi + g))
                        .add(w1.mul(ShortVector.fromArray(PAIRED_SHORTS, qx, xi + g + step))).reinterpretAsInts();
                sums = sums.add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).add(pairs.lanewise(VectorOperators.ASHR, 16));
            }
            float scale = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx[b];
            acc0 = ((FloatVector) sums.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(FLOATS, scale), acc0);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /**
     * Each block's quants in loads of one byte per float lane (two 128-bit loads at 16 lanes, which kernels.md found
     * faster than one 256-bit load + part 1; four 64-bit loads at 8 lanes, as kernels-avx2.md's best AVX2 kernel;
     * four 64-bit loads feeding two conversions each at 4 lanes), widened to floats, scaled by d, then one FMA each
     * with the activation, in column order. The block offset comes from the int block index: a separately
     * incremented long offset costs +55% in bounds checks on AVX2.
     */
    private float dotFolded(long base, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            int xi = xo + 32 * b;
            FloatVector d = FloatVector.broadcast(FLOATS, Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)));
            for (int g = 0; g < 32; g += BYTES.length()) {
                ByteVector q = ByteVector.fromMemorySegment(BYTES, data, off + QUANTS + g, LE);
                for (int p = 0; p < Simd.BYTE_PARTS; p++) {
                    FloatVector w = ((FloatVector) q.convertShape(VectorOperators.B2F, FLOATS, p)).mul(d);
                    acc = w.fma(FloatVector.fromArray(FLOATS, x, xi + g + p * LANES), acc);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    void tile(int r0, int nr, QuantizedActivation[] xs, int t0, int nt, float[] out, int outStride) {
        int t1 = nth(t0, 1, nt), t2 = nth(t0, 2, nt), t3 = nth(t0, 3, nt);
        tile4(r0, nr, xs[t0].scaled, xs[t1].scaled, xs[t2].scaled, xs[t3].scaled, 0, 0, 0, 0, t0, t1, t2, t3, out, outStride);
    }

    @Override
    void tile(int r0, int nr, float[] x, int xStride, int t0, int nt, float[] out, int outStride) {
        int t1 = nth(t0, 1, nt), t2 = nth(t0, 2, nt), t3 = nth(t0, 3, nt);
        tile4(r0, nr, x, x, x, x, t0 * xStride, t1 * xStride, t2 * xStride, t3 * xStride, t0, t1, t2, t3, out, outStride);
    }

    /**
     * 4 weight rows x 4 activation rows: each weight block is decoded to scaled floats once and feeds 16
     * accumulators c[row][act] with the FMAs {@code dot} does, so every pair gets {@code dot}'s value bit for bit.
     */
    private void tile4(int r0, int nr, float[] x0, float[] x1, float[] x2, float[] x3, int o0, int o1, int o2, int o3,
                       int t0, int t1, int t2, int t3, float[] out, int outStride) {
        int r1 = nth(r0, 1, nr), r2 = nth(r0, 2, nr), r3 = nth(r0, 3, nr);
        long b0 = rowOffset(r0), b1 = rowOffset(r1), b2 = rowOffset(r2), b3 = rowOffset(r3);
        FloatVector c00 = FloatVector.zero(FLOATS), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int b = 0; b < blocks; b++) {
            long k = (long) b * BLOCK_BYTES;
            int xb = 32 * b;
            FloatVector d0 = FloatVector.broadcast(FLOATS, Float.float16ToFloat(data.get(Numbers.LE_SHORT, b0 + k)));
            FloatVector d1 = FloatVector.broadcast(FLOATS, Float.float16ToFloat(data.get(Numbers.LE_SHORT, b1 + k)));
            FloatVector d2 = FloatVector.broadcast(FLOATS, Float.float16ToFloat(data.get(Numbers.LE_SHORT, b2 + k)));
            FloatVector d3 = FloatVector.broadcast(FLOATS, Float.float16ToFloat(data.get(Numbers.LE_SHORT, b3 + k)));
            for (int g = 0; g < 32; g += BYTES.length()) {
                long q = k + QUANTS + g;
                ByteVector q0 = ByteVector.fromMemorySegment(BYTES, data, b0 + q, LE), q1 = ByteVector.fromMemorySegment(BYTES, data, b1 + q, LE);
                ByteVector q2 = ByteVector.fromMemorySegment(BYTES, data, b2 + q, LE), q3 = ByteVector.fromMemorySegment(BYTES, data, b3 + q, LE);
                for (int p = 0; p < Simd.BYTE_PARTS; p++) {
                    int xi = xb + g + p * LANES;
                    FloatVector w0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, FLOATS, p)).mul(d0);
                    FloatVector w1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, FLOATS, p)).mul(d1);
                    FloatVector w2 = ((FloatVector) q2.convertShape(VectorOperators.B2F, FLOATS, p)).mul(d2);
                    FloatVector w3 = ((FloatVector) q3.convertShape(VectorOperators.B2F, FLOATS, p)).mul(d3);
                    FloatVector x = FloatVector.fromArray(FLOATS, x0, o0 + xi);
                    c00 = w0.fma(x, c00); c10 = w1.fma(x, c10); c20 = w2.fma(x, c20); c30 = w3.fma(x, c30);
                    x = FloatVector.fromArray(FLOATS, x1, o1 + xi);
                    c01 = w0.fma(x, c01); c11 = w1.fma(x, c11); c21 = w2.fma(x, c21); c31 = w3.fma(x, c31);
                    x = FloatVector.fromArray(FLOATS, x2, o2 + xi);
                    c02 = w0.fma(x, c02); c12 = w1.fma(x, c12); c22 = w2.fma(x, c22); c32 = w3.fma(x, c32);
                    x = FloatVector.fromArray(FLOATS, x3, o3 + xi);
                    c03 = w0.fma(x, c03); c13 = w1.fma(x, c13); c23 = w2.fma(x, c23); c33 = w3.fma(x, c33);
                }
            }
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
