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
}
