package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import static jdk.incubator.vector.VectorOperators.ADD;

/**
 * Q4_0: blocks of 32 values = half d, qs[16]; value j (j &lt; 16) is (qs[j] &amp; 15) - 8, value j+16 is
 * (qs[j] &gt;&gt; 4) - 8, times d. Activations: Q8_0. A folded format, as Q8_0: every kernel multiplies
 * (q - 8) * d with the activation's q * d, lane by lane in column order, so B=1, the 4x4 tile and the panel agree
 * bit for bit at any vector width.
 */
final class Q4_0Matrix extends WeightMatrix {
    Q4_0Matrix(MemorySegment data, int rows, int cols) {
        super(data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public GgmlType activationType() {
        return GgmlType.Q8_0;
    }

    /** Bytes per block: the half scale, then 16 bytes of nibbles. */
    static final int BLOCK_BYTES = 18;
    /** Offset of the nibbles in a block. */
    static final int QUANTS = 2;

    @Override
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        long base = rowOffset(row);
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            float d = Numbers.f16(data, off);
            int o = dstOffset + 32 * b;
            for (int j = 0; j < 16; j++) {
                int q = Numbers.u8(data, off + QUANTS + j);
                dst[o + j] = ((q & 0xF) - 8) * d;
                dst[o + j + 16] = ((q >> 4) - 8) * d;
            }
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
            long k = base + (long) b * BLOCK_BYTES;
            float d = Float.float16ToFloat(data.get(Numbers.LE_SHORT, k));
            FloatVector dv = FloatVector.broadcast(FLOATS, d), m8 = FloatVector.broadcast(FLOATS, -8f * d);
            for (int g = 0; g < 16; g += LANES) {
                IntVector q = Simd.unsignedBytes(data, k + QUANTS + g);
                ((FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0)).fma(dv, m8).intoArray(dst, off + 32 * b + g);
                ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(dv, m8).intoArray(dst, off + 32 * b + 16 + g);
            }
        }
    }

    @Override
    float vectorDot(int row, float[] x, int xOffset) {
        return dotFolded(rowOffset(row, x, xOffset), x, xOffset);
    }

    /**
     * ggml_vec_dot_q4_0_q8_0. Batch-invariant ({@link WeightMatrix#BATCH_INVARIANT}): its numbers ((qw-8)*dw times
     * qx*dx, see {@link QuantizedActivation#scaled}) folded as the tile and the panel fold them. Otherwise grouped as
     * ggml groups them: int16 products of each block summed, then one scaling.
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
     * 8 or 4 lanes: kernels-avx2.md's best AVX2 Q4_0 kernel (q4iC); here 2.2x the folded f32 kernel at 8 lanes and 3x at 4
     * (Q4_0 matmuls of a 1B shape, 12.3 -> 27 and 6.3 -> 18.7 tok/s, 2 threads). The nibble bytes
     * zero-extended to int16 lanes of the full width (twice the float lanes), low and high nibbles minus 8 multiplied
     * with the int16 activation quants and added in int16 (|sum| &lt;= 2 * 2 * 8 * 128 at 4 lanes), then adjacent lanes
     * summed into int lanes through a reinterpretation and shifts (a short-to-int conversion of the upper half stalls
     * on AVX2), one conversion, one FMA with dw * dx. The block offset comes from the int block index.
     */
    private float dotInt16Pairs(long base, short[] qx, float[] dx) {
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            int xi = 32 * b;
            ShortVector p = ShortVector.zero(PAIRED_SHORTS);
            for (int g = 0; g < 16; g += PAIRED_SHORTS.length()) {
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(PAIRED_BYTES, data, off + QUANTS + g, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, PAIRED_SHORTS, 0);
                ShortVector lo = q.and((short) 0xF).sub((short) 8), hi = q.lanewise(VectorOperators.LSHR, 4).sub((short) 8);
                p = p.add(lo.mul(ShortVector.fromArray(PAIRED_SHORTS, qx, xi + g)))
                        .add(hi.mul(ShortVector.fromArray(PAIRED_SHORTS, qx, xi + 16 + g)));
            }
            IntVector pairs = p.reinterpretAsInts();
            IntVector sums = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(pairs.lanewise(VectorOperators.ASHR, 16));
            float scale = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx[b];
            acc = ((FloatVector) sums.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(FLOATS, scale), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * kernels.md's int16 Q4_0 path: the 16 nibble bytes zero-extended to 16 int16 lanes, low and high nibbles minus 8
     * multiplied with the int16 activation quants and added (|sum| &lt;= 2 * 8 * 128), one conversion, one FMA with
     * dw * dx. At 16 lanes the short vectors are 256-bit, single-pumped on Zen 4. Two blocks per iteration into two
     * accumulators, as Q8_0's kernels.
     */
    private float dotInt16(long base, short[] qx, float[] dx) {
        FloatVector acc0 = FloatVector.zero(FLOATS), acc1 = acc0;
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long off = base + (long) b * BLOCK_BYTES, off1 = off + BLOCK_BYTES;
            int xi = 32 * b;
            ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(BYTES, data, off + QUANTS, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
            ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(BYTES, data, off1 + QUANTS, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
            ShortVector lo0 = q0.and((short) 0xF).sub((short) 8), hi0 = q0.lanewise(VectorOperators.LSHR, 4).sub((short) 8);
            ShortVector lo1 = q1.and((short) 0xF).sub((short) 8), hi1 = q1.lanewise(VectorOperators.LSHR, 4).sub((short) 8);
            ShortVector p0 = lo0.mul(ShortVector.fromArray(SHORTS, qx, xi)).add(hi0.mul(ShortVector.fromArray(SHORTS, qx, xi + 16)));
            ShortVector p1 = lo1.mul(ShortVector.fromArray(SHORTS, qx, xi + 32)).add(hi1.mul(ShortVector.fromArray(SHORTS, qx, xi + 48)));
            float scale0 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx[b];
            float scale1 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off1)) * dx[b + 1];
            acc0 = ((FloatVector) p0.convertShape(VectorOperators.S2F, FLOATS, 0)).fma(FloatVector.broadcast(FLOATS, scale0), acc0);
            acc1 = ((FloatVector) p1.convertShape(VectorOperators.S2F, FLOATS, 0)).fma(FloatVector.broadcast(FLOATS, scale1), acc1);
        }
        if (b < blocks) { // an odd block count: the last block alone
            long off = base + (long) b * BLOCK_BYTES;
            int xi = 32 * b;
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BYTES, data, off + QUANTS, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
            ShortVector lo = q.and((short) 0xF).sub((short) 8), hi = q.lanewise(VectorOperators.LSHR, 4).sub((short) 8);
            ShortVector p = lo.mul(ShortVector.fromArray(SHORTS, qx, xi)).add(hi.mul(ShortVector.fromArray(SHORTS, qx, xi + 16)));
            float scale = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off)) * dx[b];
            acc0 = ((FloatVector) p.convertShape(VectorOperators.S2F, FLOATS, 0)).fma(FloatVector.broadcast(FLOATS, scale), acc0);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /**
     * Nibbles widened to int lanes first (shifts are cheap there, emulated in byte lanes), converted, then
     * (q - 8) * d as one exact FMA, q * d - 8d: both terms and the result fit a float's mantissa. The low nibbles
     * (values 0..15) are summed before the high ones (16..31) so each lane adds its columns in column order, as the
     * panel does; below 16 lanes the nibble bytes are widened twice, once per half, rather than held in registers.
     */
    private float dotFolded(long base, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * BLOCK_BYTES;
            int xi = xo + 32 * b;
            float d = Float.float16ToFloat(data.get(Numbers.LE_SHORT, off));
            FloatVector dv = FloatVector.broadcast(FLOATS, d), m8 = FloatVector.broadcast(FLOATS, -8f * d);
            for (int g = 0; g < 16; g += LANES) {
                IntVector q = Simd.unsignedBytes(data, off + QUANTS + g);
                FloatVector lo = ((FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0)).fma(dv, m8);
                acc = lo.fma(FloatVector.fromArray(FLOATS, x, xi + g), acc);
            }
            for (int g = 0; g < 16; g += LANES) {
                IntVector q = Simd.unsignedBytes(data, off + QUANTS + g);
                FloatVector hi = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(dv, m8);
                acc = hi.fma(FloatVector.fromArray(FLOATS, x, xi + 16 + g), acc);
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
     * 4 weight rows x 4 activation rows, as Q8_0's tile: each block's nibbles are decoded to scaled floats once and
     * feed 16 accumulators with the FMAs {@code dot} does, so every pair gets {@code dot}'s value bit for bit.
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
            float s0 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, b0 + k)), s1 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, b1 + k));
            float s2 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, b2 + k)), s3 = Float.float16ToFloat(data.get(Numbers.LE_SHORT, b3 + k));
            FloatVector d0 = FloatVector.broadcast(FLOATS, s0), m0 = FloatVector.broadcast(FLOATS, -8f * s0);
            FloatVector d1 = FloatVector.broadcast(FLOATS, s1), m1 = FloatVector.broadcast(FLOATS, -8f * s1);
            FloatVector d2 = FloatVector.broadcast(FLOATS, s2), m2 = FloatVector.broadcast(FLOATS, -8f * s2);
            FloatVector d3 = FloatVector.broadcast(FLOATS, s3), m3 = FloatVector.broadcast(FLOATS, -8f * s3);
            for (int j = 0; j < 32; j += LANES) { // low nibbles are values 0..15, high nibbles 16..31
                long q = k + QUANTS + (j & 15);
                int shift = j < 16 ? 0 : 4;
                FloatVector w0 = ((FloatVector) Simd.unsignedBytes(data, b0 + q).lanewise(VectorOperators.LSHR, shift).and(0xF)
                        .convert(VectorOperators.I2F, 0)).fma(d0, m0);
                FloatVector w1 = ((FloatVector) Simd.unsignedBytes(data, b1 + q).lanewise(VectorOperators.LSHR, shift).and(0xF)
                        .convert(VectorOperators.I2F, 0)).fma(d1, m1);
                FloatVector w2 = ((FloatVector) Simd.unsignedBytes(data, b2 + q).lanewise(VectorOperators.LSHR, shift).and(0xF)
                        .convert(VectorOperators.I2F, 0)).fma(d2, m2);
                FloatVector w3 = ((FloatVector) Simd.unsignedBytes(data, b3 + q).lanewise(VectorOperators.LSHR, shift).and(0xF)
                        .convert(VectorOperators.I2F, 0)).fma(d3, m3);
                int xi = xb + j;
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
