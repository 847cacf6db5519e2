package dev.parley.inference.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/** Random but valid matrices in GGUF layout, deliberately placed at an odd (unaligned) address. */
final class TestData {
    private TestData() {}

    static final GgmlType[] WEIGHT_TYPES = {
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
        GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K
    };

    /** Column counts worth testing for a type: several block counts, and ragged lengths for the 1-value types. */
    static int[] lengths(GgmlType t) {
        return switch (t.blockSize) {
            case 1 -> new int[] {1, 7, 15, 16, 17, 31, 33, 100, 1000, 2048};
            case 32 -> new int[] {32, 64, 96, 160, 512, 2080};
            default -> new int[] {256, 512, 768, 2304};
        };
    }

    static MemorySegment unaligned(long bytes) {
        return Arena.ofAuto().allocate(bytes + 3, 16).asSlice(3, bytes);
    }

    /** Byte offsets of the fp16 scale fields inside one block of {@code t}. */
    static int[] halfFields(GgmlType t) {
        return switch (t) {
            case Q8_0, Q4_0, Q5_0 -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> new int[0];
        };
    }

    static MemorySegment randomMatrix(GgmlType t, int rows, int cols, Random r) {
        long n = (long) rows * cols;
        MemorySegment s = unaligned(t.bytesFor(n));
        switch (t) {
            case F32 -> {
                for (long i = 0; i < n; i++) s.set(Numbers.LE_FLOAT, 4 * i, (float) r.nextGaussian());
            }
            case F16 -> {
                for (long i = 0; i < n; i++) s.set(Numbers.LE_SHORT, 2 * i, Float.floatToFloat16((float) r.nextGaussian()));
            }
            case BF16 -> {
                for (long i = 0; i < n; i++) s.set(Numbers.LE_SHORT, 2 * i, Numbers.toBf16((float) r.nextGaussian()));
            }
            default -> {
                for (long i = 0; i < s.byteSize(); i++) s.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
                for (long b = 0; b < n / t.blockSize; b++) {
                    for (int f : halfFields(t)) {
                        // sane scales: magnitude 2^-10 .. 2^-4, random sign (mins too: ggml allows negative mins)
                        float v = (float) Math.scalb(1 + r.nextFloat(), -4 - r.nextInt(7)) * (r.nextBoolean() ? 1 : -1);
                        s.set(Numbers.LE_SHORT, b * t.blockBytes + f, Float.floatToFloat16(v));
                    }
                }
            }
        }
        return s;
    }

    static float[] randomVector(int n, Random r) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    static MemorySegment bytes(int... b) {
        MemorySegment s = unaligned(b.length);
        for (int i = 0; i < b.length; i++) s.set(ValueLayout.JAVA_BYTE, i, (byte) b[i]);
        return s;
    }
}
