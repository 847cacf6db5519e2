package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Reference quantization into GGUF block layout, as ggml's quantize_row_*_ref (what llama-quantize uses without an
 * importance matrix): F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1. K-quants are not implemented.
 */
public final class Quantizer {
    private Quantizer() {}

    /**
     * Quantizes {@code src[0..n)} into {@code dst} at {@code dstOffset}, writing {@code type.bytesFor(n)} bytes.
     *
     * @throws IllegalArgumentException for a type without a quantizer or n not a multiple of its block size
     */
    public static void quantize(GgmlType type, float[] src, int n, MemorySegment dst, long dstOffset) {
        Objects.requireNonNull(type, "type");
        Objects.checkFromIndexSize(0, n, src.length);
        if (n % type.blockSize != 0) throw new IllegalArgumentException(type + ": n " + n + " not a multiple of " + type.blockSize);
        Objects.checkFromIndexSize(dstOffset, type.bytesFor(n), dst.byteSize());
        switch (type) {
            case F32 -> MemorySegment.copy(src, 0, dst, Numbers.LE_FLOAT, dstOffset, n);
            case F16 -> {
                for (int i = 0; i < n; i++) dst.set(Numbers.LE_SHORT, dstOffset + 2L * i, Numbers.toF16(src[i]));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst.set(Numbers.LE_SHORT, dstOffset + 2L * i, Numbers.toBf16(src[i]));
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) q8_0(src, 32 * b, dst, dstOffset + 34L * b);
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) q4_0(src, 32 * b, dst, dstOffset + 18L * b);
            }
            case Q4_1 -> {
                for (int b = 0; b < n / 32; b++) q4_1(src, 32 * b, dst, dstOffset + 20L * b);
            }
            case Q5_0 -> {
                for (int b = 0; b < n / 32; b++) q5_0(src, 32 * b, dst, dstOffset + 22L * b);
            }
            case Q5_1 -> {
                for (int b = 0; b < n / 32; b++) q5_1(src, 32 * b, dst, dstOffset + 24L * b);
            }
            default -> throw new IllegalArgumentException("no quantizer for " + type);
        }
    }

    /** Whether {@link #quantize} supports {@code type}. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 -> true;
            default -> false;
        };
    }

    /** quantize_row_q8_0_ref: d = amax/127, q = roundf(x / d) (reference path: multiplier 1/d, round half away). */
    private static void q8_0(float[] x, int o, MemorySegment y, long off) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[o + j]));
        float d = amax / 127;
        float id = d != 0f ? 1.0f / d : 0f;
        y.set(Numbers.LE_SHORT, off, Numbers.toF16(d));
        for (int j = 0; j < 32; j++) y.set(ValueLayout.JAVA_BYTE, off + 2 + j, (byte) Numbers.roundf(x[o + j] * id));
    }

    /** The value of largest magnitude, with its sign (first one on ties): the symmetric formats map it to the end of the range. */
    private static float signedMax(float[] x, int o) {
        float amax = 0f, max = 0f;
        for (int j = 0; j < 32; j++) {
            float v = x[o + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    /**
     * quantize_row_q4_0_ref: d = max/-8 with max the signed value of largest magnitude (so it maps to exactly -8),
     * q = min(15, (int)(x/d + 8.5)), truncation on a positive number = floor.
     */
    private static void q4_0(float[] x, int o, MemorySegment y, long off) {
        float d = signedMax(x, o) / -8;
        float id = d != 0f ? 1.0f / d : 0f;
        y.set(Numbers.LE_SHORT, off, Numbers.toF16(d));
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (int) (x[o + j] * id + 8.5f));
            int q1 = Math.min(15, (int) (x[o + 16 + j] * id + 8.5f));
            y.set(ValueLayout.JAVA_BYTE, off + 2 + j, (byte) (q0 | q1 << 4));
        }
    }

    /** quantize_row_q4_1_ref: d = (max-min)/15, m = min, q = min(15, (int)((x-min)/d + 0.5)). */
    private static void q4_1(float[] x, int o, MemorySegment y, long off) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            min = Math.min(min, x[o + j]);
            max = Math.max(max, x[o + j]);
        }
        float d = (max - min) / 15;
        float id = d != 0f ? 1.0f / d : 0f;
        y.set(Numbers.LE_SHORT, off, Numbers.toF16(d));
        y.set(Numbers.LE_SHORT, off + 2, Numbers.toF16(min));
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (int) ((x[o + j] - min) * id + 0.5f));
            int q1 = Math.min(15, (int) ((x[o + 16 + j] - min) * id + 0.5f));
            y.set(ValueLayout.JAVA_BYTE, off + 4 + j, (byte) (q0 | q1 << 4));
        }
    }

    /** quantize_row_q5_0_ref: d = max/-16, q = min(31, (int)(x/d + 16.5)); the 5th bits go to qh (value j -> bit j). */
    private static void q5_0(float[] x, int o, MemorySegment y, long off) {
        float d = signedMax(x, o) / -16;
        float id = d != 0f ? 1.0f / d : 0f;
        y.set(Numbers.LE_SHORT, off, Numbers.toF16(d));
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(31, (int) (x[o + j] * id + 16.5f));
            int q1 = Math.min(31, (int) (x[o + 16 + j] * id + 16.5f));
            y.set(ValueLayout.JAVA_BYTE, off + 6 + j, (byte) ((q0 & 0xF) | (q1 & 0xF) << 4));
            qh |= ((q0 & 0x10) >> 4) << j;
            qh |= ((q1 & 0x10) >> 4) << (j + 16);
        }
        y.set(Numbers.LE_INT, off + 2, qh);
    }

    /** quantize_row_q5_1_ref: d = (max-min)/31, m = min, q = (int)((x-min)/d + 0.5) (ggml does not clamp here). */
    private static void q5_1(float[] x, int o, MemorySegment y, long off) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            min = Math.min(min, x[o + j]);
            max = Math.max(max, x[o + j]);
        }
        float d = (max - min) / 31;
        float id = d != 0f ? 1.0f / d : 0f;
        y.set(Numbers.LE_SHORT, off, Numbers.toF16(d));
        y.set(Numbers.LE_SHORT, off + 2, Numbers.toF16(min));
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = (int) ((x[o + j] - min) * id + 0.5f) & 0xFF;
            int q1 = (int) ((x[o + 16 + j] - min) * id + 0.5f) & 0xFF;
            y.set(ValueLayout.JAVA_BYTE, off + 8 + j, (byte) ((q0 & 0xF) | (q1 & 0xF) << 4));
            qh |= ((q0 & 0x10) >> 4) << j;
            qh |= ((q1 & 0x10) >> 4) << (j + 16);
        }
        y.set(Numbers.LE_INT, off + 4, qh);
    }
}
