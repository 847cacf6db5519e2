package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Shared K-quant helpers. */
final class KQuants {
    private KQuants() {}

    /**
     * ggml's get_scale_min_k4: the 12 scale bytes of a Q4_K/Q5_K super-block pack eight 6-bit scales and eight
     * 6-bit mins. Sub-blocks 0-3 keep theirs in the low 6 bits of bytes j (scale) and j+4 (min); sub-blocks 4-7
     * take their low 4 bits from byte j+4 (scale: low nibble, min: high nibble) and their top 2 bits from the
     * spare top bits of bytes j-4 (scale) and j (min). Returns scale | min &lt;&lt; 8.
     */
    static int scaleMin(MemorySegment s, long scalesOffset, int j) {
        if (j < 4) {
            int sc = s.get(ValueLayout.JAVA_BYTE, scalesOffset + j) & 63;
            int m = s.get(ValueLayout.JAVA_BYTE, scalesOffset + j + 4) & 63;
            return sc | m << 8;
        }
        int hiByte = s.get(ValueLayout.JAVA_BYTE, scalesOffset + j + 4) & 0xFF;
        int scTop = (s.get(ValueLayout.JAVA_BYTE, scalesOffset + j - 4) & 0xFF) >> 6;
        int mTop = (s.get(ValueLayout.JAVA_BYTE, scalesOffset + j) & 0xFF) >> 6;
        return ((hiByte & 0xF) | scTop << 4) | ((hiByte >> 4) | mTop << 4) << 8;
    }

    /**
     * All 8 scales (bytes 0-7 of the result) or all 8 mins ({@code mins} = true) of a super-block at once, unpacked
     * with 32-bit masks from the three little-endian words of the 12 scale bytes; the kernels call this twice per
     * super-block instead of {@link #scaleMin} per sub-block.
     */
    static long packed(MemorySegment s, long scalesOffset, boolean mins) {
        int w0 = s.get(Numbers.LE_INT, scalesOffset), w1 = s.get(Numbers.LE_INT, scalesOffset + 4);
        int w2 = s.get(Numbers.LE_INT, scalesOffset + 8);
        int low6 = 0x3f3f3f3f, low4 = 0x0f0f0f0f, top2 = 0x03030303;
        int lo, hi;
        if (!mins) {
            lo = w0 & low6;                                    // sub-blocks 0-3: low 6 bits of bytes 0-3
            hi = (w2 & low4) | (((w0 >>> 6) & top2) << 4);    // 4-7: low nibbles of bytes 8-11, top bits of 0-3
        } else {
            lo = w1 & low6;                                    // 0-3: low 6 bits of bytes 4-7
            hi = ((w2 >>> 4) & low4) | (((w1 >>> 6) & top2) << 4); // 4-7: high nibbles of 8-11, top bits of 4-7
        }
        return (lo & 0xFFFFFFFFL) | ((long) hi << 32);
    }
}
