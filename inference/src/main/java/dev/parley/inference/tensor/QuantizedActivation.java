package dev.parley.inference.tensor;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One activation vector converted the way ggml's CPU backend converts src1 before a mat-mul (llama.cpp c392e5094,
 * x86 build with AVX2/AVX-512): F32 as is, F16 (each value rounded to half), BF16, Q8_0 and Q8_1 (the AVX code of
 * quantize_row_q8_0/_q8_1), Q8_K (quantize_row_q8_K_ref, which x86 uses). A reusable buffer: {@link #quantize}
 * overwrites it and allocates nothing.
 */
public final class QuantizedActivation {
    private final int maxLength;
    private GgmlType format;
    private int length;

    /**
     * F32/F16/BF16: the converted values, exact as floats (a half or bf16 widens exactly). Q8_*: the quants as
     * floats, for the tiled kernels: products of two int8 values and short sums of them are exact in float.
     */
    final float[] values;
    /**
     * Q8_*: each quant times its block's scale, q * d. For Q8_0/Q8_1 exact in float (|q| &lt;= 128 times a half's
     * 11-bit mantissa; Q8_K's float scale rounds once), so folded kernels that multiply these with folded weights read the same numbers ggml's integer
     * path does, just grouped differently.
     */
    final float[] scaled;
    /** Q8_*: the int8 quants as stored by ggml. */
    final byte[] q8;
    /** Q8_*: the same quants widened to int16, which the kernels multiply with. */
    final short[] q16;
    /** Q8_0/Q8_1: half bits of each 32-block's scale; Q8_K: unused. */
    final short[] dBits;
    /** Per-block scale as a float: the widened half for Q8_0/Q8_1, the float scale of Q8_K. */
    final float[] d;
    /** Q8_1: half bits of s = d * sum(quants), and its widened value. */
    final short[] sBits;
    final float[] s;
    /** Q8_K: sums of each 16 quants (ggml's bsums). */
    final int[] bsums;

    public QuantizedActivation(int maxLength) {
        if (maxLength < 0) throw new IllegalArgumentException("maxLength " + maxLength);
        this.maxLength = maxLength;
        this.values = new float[maxLength];
        this.scaled = new float[maxLength];
        this.q8 = new byte[maxLength];
        this.q16 = new short[maxLength];
        int blocks32 = (maxLength + 31) / 32;
        this.dBits = new short[blocks32];
        this.d = new float[blocks32];
        this.sBits = new short[blocks32];
        this.s = new float[blocks32];
        this.bsums = new int[(maxLength + 15) / 16];
        this.format = GgmlType.F32;
    }

    public GgmlType format() {
        return format;
    }

    public int length() {
        return length;
    }

    public int maxLength() {
        return maxLength;
    }

    /** Converts {@code x[offset .. offset+length)} to {@code format}; length must be a multiple of its block size. */
    public void quantize(GgmlType format, float[] x, int offset, int length) {
        Objects.requireNonNull(format, "format");
        Objects.checkFromIndexSize(offset, length, x.length);
        if (length > maxLength) throw new IllegalArgumentException("length " + length + " > maxLength " + maxLength);
        int block = switch (format) {
            case F32, F16, BF16 -> 1;
            case Q8_0, Q8_1 -> 32;
            case Q8_K -> 256;
            default -> throw new IllegalArgumentException("not an activation format: " + format);
        };
        if (length % block != 0) throw new IllegalArgumentException(format + ": length " + length + " not a multiple of " + block);
        switch (format) {
            case F32 -> System.arraycopy(x, offset, values, 0, length);
            case F16 -> {
                for (int i = 0; i < length; i++) values[i] = Numbers.roundF16(x[offset + i]);
            }
            case BF16 -> {
                for (int i = 0; i < length; i++) values[i] = Numbers.bf16ToFloat(Numbers.toBf16(x[offset + i]));
            }
            case Q8_0 -> quantizeQ8(x, offset, length, false);
            case Q8_1 -> quantizeQ8(x, offset, length, true);
            default -> quantizeQ8K(x, offset, length);
        }
        this.format = format;
        this.length = length;
    }

    /**
     * quantize_row_q8_0 / q8_1 as compiled for x86 (the __AVX2__ branch): d = amax/127 stored as half, but the
     * multiplier is 127/amax in float (not 1/d), and x*id is rounded to nearest even (_mm256_round_ps), not roundf.
     * For Q8_1, s = half(d * sum of the quants) with d the unrounded float.
     */
    private void quantizeQ8(float[] x, int offset, int length, boolean withSum) {
        for (int b = 0; b < length / 32; b++) {
            int base = offset + b * 32, o = b * 32;
            float amax = 0f;
            if (Simd.VECTORIZED) {
                FloatVector m = FloatVector.zero(FLOATS);
                for (int j = 0; j < 32; j += Simd.LANES) m = m.max(FloatVector.fromArray(FLOATS, x, base + j).abs());
                amax = m.reduceLanes(VectorOperators.MAX); // exact in any order
            } else {
                for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[base + j]));
            }
            float dd = amax / 127.f;
            float id = amax != 0f ? 127.f / amax : 0f;
            dBits[b] = Numbers.toF16(dd);
            d[b] = Float.float16ToFloat(dBits[b]);
            // rint by adding and removing 1.5 * 2^23: exact round-to-nearest-even for |v| < 2^22; then the saturation
            if (Simd.VECTORIZED) {
                for (int j = 0; j < 32; j += Simd.LANES) {
                    FloatVector q = FloatVector.fromArray(FLOATS, x, base + j).mul(id).add(ROUND).sub(ROUND).max(-128f).min(127f);
                    q.intoArray(values, o + j);
                    q.mul(d[b]).intoArray(scaled, o + j);
                    q.convert(VectorOperators.F2I, 0).convertShape(VectorOperators.I2S, SHORTS, 0).reinterpretAsShorts().intoArray(q16, o + j);
                }
            } else {
                for (int j = 0; j < 32; j++) {
                    values[o + j] = Math.min(127f, Math.max(-128f, x[base + j] * id + ROUND - ROUND));
                    scaled[o + j] = values[o + j] * d[b];
                    q16[o + j] = (short) values[o + j];
                }
            }
            if (withSum) {
                int sum = 0;
                for (int j = o; j < o + 32; j++) sum += q16[j];
                sBits[b] = Numbers.toF16(dd * (float) sum);
                s[b] = Float.float16ToFloat(sBits[b]);
            }
        }
        // The int8 copy in one loop over the row, which C2 vectorizes. Per block, with scalar float-to-int casts for
        // both copies, a 768-wide row took 1170 ns against 578 now (QuantizeBench, 512 bits), ~4% of 110M Q8_0 prefill.
        for (int i = 0; i < length; i++) q8[i] = (byte) q16[i];
    }

    private static final VectorSpecies<Float> FLOATS = Simd.FLOATS;
    private static final VectorSpecies<Short> SHORTS = Simd.SHORTS;
    private static final float ROUND = 0x1.8p23f;

    /**
     * quantize_row_q8_K_ref (x86 has no SIMD version at this commit): the scale comes from the value of largest
     * magnitude with its sign, iscale = -127/max, quants = nearest_int(iscale*x) capped at 127, d = 1/iscale.
     */
    private void quantizeQ8K(float[] x, int offset, int length) {
        for (int b = 0; b < length / 256; b++) {
            int base = offset + b * 256;
            float max = 0f, amax = 0f;
            for (int j = 0; j < 256; j++) {
                float ax = Math.abs(x[base + j]);
                if (ax > amax) {
                    amax = ax;
                    max = x[base + j];
                }
            }
            if (amax == 0f) {
                d[b] = 0f;
                for (int j = 0; j < 256; j++) {
                    q8[b * 256 + j] = 0;
                    q16[b * 256 + j] = 0;
                    values[b * 256 + j] = 0;
                    scaled[b * 256 + j] = 0;
                }
                for (int j = 0; j < 16; j++) bsums[b * 16 + j] = 0;
                continue;
            }
            float iscale = -127.f / max;
            for (int j = 0; j < 256; j++) {
                int q = Math.min(127, Numbers.nearestInt(iscale * x[base + j]));
                q8[b * 256 + j] = (byte) q;
                q16[b * 256 + j] = (short) q;
                values[b * 256 + j] = q;
            }
            for (int j = 0; j < 16; j++) {
                int sum = 0;
                for (int i = 0; i < 16; i++) sum += q8[b * 256 + j * 16 + i];
                bsums[b * 16 + j] = sum;
            }
            d[b] = 1 / iscale;
            for (int j = 0; j < 256; j++) scaled[b * 256 + j] = values[b * 256 + j] * d[b];
        }
    }

    /** The values folded kernels multiply with: the converted values (F32, F16, BF16) or the quants times their scale. */
    float[] foldedValues() {
        return format == GgmlType.F32 || format == GgmlType.F16 || format == GgmlType.BF16 ? values : scaled;
    }

    /** Quant {@code i} (Q8_* formats). */
    public int quant(int i) {
        Objects.checkIndex(i, length);
        return q8[i];
    }

    /** Block scale: the widened half d of 32-block {@code b} (Q8_0/Q8_1) or the float d of 256-block {@code b} (Q8_K). */
    public float scale(int b) {
        return d[b];
    }

    /** Raw half bits of the scale of 32-block {@code b} (Q8_0/Q8_1). */
    public short scaleBits(int b) {
        return dBits[b];
    }

    /** Q8_1: the widened half s = d * sum of the quants of 32-block {@code b}. */
    public float sum(int b) {
        return s[b];
    }

    /** Q8_K: the sum of quants {@code 16j .. 16j+15}. */
    public int bsum(int j) {
        return bsums[j];
    }

    /** F32/F16/BF16: converted value {@code i}. */
    public float value(int i) {
        Objects.checkIndex(i, length);
        return values[i];
    }
}
