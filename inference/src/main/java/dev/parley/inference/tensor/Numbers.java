package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Scalar number conversions and little-endian reads shared by the tensor formats, each matching ggml bit for bit. */
final class Numbers {
    private Numbers() {}

    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The IEEE half at {@code offset}, widened exactly (ggml's GGML_FP16_TO_FP32 is exact too). */
    static float f16(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(LE_SHORT, offset));
    }

    /** Unsigned byte at {@code offset}. */
    static int u8(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    /** float -> half, round to nearest even: what F16C's vcvtps2ph (ggml on x86) and ggml's scalar code do. */
    static short toF16(float f) {
        return Float.floatToFloat16(f);
    }

    /** float rounded through half precision and back. */
    static float roundF16(float f) {
        return Float.float16ToFloat(Float.floatToFloat16(f));
    }

    /** bf16 -> float: the bf16 bits are the upper half of the float. */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * float -> bf16 as ggml_compute_fp32_to_bf16: NaN keeps its upper bits and is forced quiet; everything else
     * rounds to nearest even by adding 0x7fff plus the lowest kept bit before truncating (overflow rounds to inf).
     */
    static short toBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    /**
     * ggml's nearest_int: adding 1.5*2^23 puts the rounded integer in the low mantissa bits (the float add rounds to
     * nearest even). Valid for |x| < 2^22, which every caller guarantees.
     */
    static int nearestInt(float x) {
        int i = Float.floatToRawIntBits(x + 12582912.f);
        return (i & 0x007fffff) - 0x00400000;
    }

    /** C's roundf: round half away from zero (in double so that |x| + 0.5 is exact). */
    static float roundf(float x) {
        return (float) Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
    }
}
