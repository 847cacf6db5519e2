package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Scalar reference implementations, written independently of the vector kernels and following ggml's scalar
 * ggml_vec_dot_*_q8_* code: integer dot per block, then scaled. Accumulated in double.
 */
final class Reference {
    private Reference() {}

    static int u8(MemorySegment s, long o) {
        return s.get(ValueLayout.JAVA_BYTE, o) & 0xFF;
    }

    static int i8(MemorySegment s, long o) {
        return s.get(ValueLayout.JAVA_BYTE, o);
    }

    static float h(MemorySegment s, long o) {
        return Float.float16ToFloat(s.get(Numbers.LE_SHORT, o));
    }

    /**
     * The 8 scales then 8 mins of a Q4_K/Q5_K super-block, unpacked with ggml's 32-bit mask trick (utmp/kmask) from
     * its SIMD dot products rather than per index.
     */
    static int[] scalesMinsK4(MemorySegment s, long o) {
        int k1 = 0x3f3f3f3f, k2 = 0x0f0f0f0f, k3 = 0x03030303;
        int u0 = s.get(Numbers.LE_INT, o), u1 = s.get(Numbers.LE_INT, o + 4), u2 = s.get(Numbers.LE_INT, o + 8);
        int u3 = ((u2 >>> 4) & k2) | (((u1 >>> 6) & k3) << 4);
        int uaux = u1 & k1;
        u1 = (u2 & k2) | (((u0 >>> 6) & k3) << 4);
        u2 = uaux;
        u0 &= k1;
        int[] words = {u0, u1, u2, u3};
        int[] out = new int[16];
        for (int i = 0; i < 16; i++) out[i] = (words[i / 4] >>> (8 * (i % 4))) & 0xFF;
        return out;
    }

    /** F32 reference: dot of the dequantized row with x, in double. */
    static double dotF32(WeightMatrix m, int row, float[] x, int xOffset) {
        float[] w = new float[m.cols()];
        m.dequantizeRow(row, w, 0);
        double s = 0;
        for (int i = 0; i < w.length; i++) s += (double) w[i] * x[xOffset + i];
        return s;
    }

    /** Sum of |w*x|, the scale for float tolerances. */
    static double absDot(WeightMatrix m, int row, float[] x, int xOffset) {
        float[] w = new float[m.cols()];
        m.dequantizeRow(row, w, 0);
        double s = 0;
        for (int i = 0; i < w.length; i++) s += Math.abs((double) w[i] * x[xOffset + i]);
        return s;
    }

    /** ggml-compatible quantized dot, scalar. */
    static double dotQ(WeightMatrix m, int row, QuantizedActivation x) {
        MemorySegment s = m.data();
        GgmlType t = m.type();
        long base = row * t.bytesFor(m.cols());
        int nb = m.cols() / t.blockSize;
        double sum = 0;
        switch (t) {
            case F32, F16, BF16 -> {
                float[] w = new float[m.cols()];
                m.dequantizeRow(row, w, 0);
                for (int i = 0; i < w.length; i++) sum += (double) w[i] * x.value(i);
            }
            case Q8_0 -> {
                for (int b = 0; b < nb; b++) {
                    long o = base + 34L * b;
                    int sumi = 0;
                    for (int j = 0; j < 32; j++) sumi += i8(s, o + 2 + j) * x.quant(32 * b + j);
                    sum += sumi * ((double) h(s, o) * x.scale(b));
                }
            }
            case Q4_0, Q4_1 -> {
                int qs = t == GgmlType.Q4_0 ? 2 : 4, off = t == GgmlType.Q4_0 ? 8 : 0;
                for (int b = 0; b < nb; b++) {
                    long o = base + (long) t.blockBytes * b;
                    int sumi = 0;
                    for (int j = 0; j < 16; j++) {
                        int v = u8(s, o + qs + j);
                        sumi += ((v & 15) - off) * x.quant(32 * b + j) + ((v >> 4) - off) * x.quant(32 * b + j + 16);
                    }
                    sum += sumi * ((double) h(s, o) * x.scale(b));
                    if (t == GgmlType.Q4_1) sum += (double) h(s, o + 2) * x.sum(b);
                }
            }
            case Q5_0, Q5_1 -> {
                boolean q51 = t == GgmlType.Q5_1;
                int qhOff = q51 ? 4 : 2, qs = q51 ? 8 : 6, off = q51 ? 0 : 16;
                for (int b = 0; b < nb; b++) {
                    long o = base + (long) t.blockBytes * b;
                    int qh = s.get(Numbers.LE_INT, o + qhOff);
                    int sumi = 0;
                    for (int j = 0; j < 16; j++) {
                        int v = u8(s, o + qs + j);
                        int x0 = ((v & 15) | ((qh >>> j) & 1) << 4) - off;
                        int x1 = ((v >> 4) | ((qh >>> (j + 16)) & 1) << 4) - off;
                        sumi += x0 * x.quant(32 * b + j) + x1 * x.quant(32 * b + j + 16);
                    }
                    sum += sumi * ((double) h(s, o) * x.scale(b));
                    if (q51) sum += (double) h(s, o + 2) * x.sum(b);
                }
            }
            case Q4_K, Q5_K -> {
                boolean q5 = t == GgmlType.Q5_K;
                for (int b = 0; b < nb; b++) {
                    long o = base + (long) t.blockBytes * b;
                    int[] sm = scalesMinsK4(s, o + 4);
                    long qs = o + (q5 ? 48 : 16);
                    long sumi = 0, sumMins = 0;
                    for (int j = 0; j < 16; j++) sumMins += (long) x.bsum(16 * b + j) * sm[8 + j / 2];
                    for (int g = 0; g < 4; g++) {
                        long lo = 0, hi = 0;
                        for (int l = 0; l < 32; l++) {
                            int v = u8(s, qs + 32 * g + l);
                            int hb = q5 ? u8(s, o + 16 + l) : 0;
                            int a = (v & 15) + (((hb >> (2 * g)) & 1) << 4);
                            int c = (v >> 4) + (((hb >> (2 * g + 1)) & 1) << 4);
                            lo += a * x.quant(256 * b + 64 * g + l);
                            hi += c * x.quant(256 * b + 64 * g + 32 + l);
                        }
                        sumi += lo * sm[2 * g] + hi * sm[2 * g + 1];
                    }
                    sum += (double) h(s, o) * x.scale(b) * sumi - (double) h(s, o + 2) * x.scale(b) * sumMins;
                }
            }
            case Q6_K -> {
                for (int b = 0; b < nb; b++) {
                    long o = base + 210L * b;
                    long sumi = 0;
                    for (int n = 0; n < 2; n++) {
                        for (int l = 0; l < 32; l++) {
                            int a = u8(s, o + 64 * n + l), c = u8(s, o + 64 * n + 32 + l), hb = u8(s, o + 128 + 32 * n + l);
                            int[] q = {
                                ((a & 15) | (hb & 3) << 4) - 32, ((c & 15) | ((hb >> 2) & 3) << 4) - 32,
                                ((a >> 4) | ((hb >> 4) & 3) << 4) - 32, ((c >> 4) | ((hb >> 6) & 3) << 4) - 32
                            };
                            for (int k = 0; k < 4; k++) {
                                int idx = 256 * b + 128 * n + 32 * k + l;
                                sumi += (long) i8(s, o + 192 + 8 * n + l / 16 + 2 * k) * q[k] * x.quant(idx);
                            }
                        }
                    }
                    sum += (double) h(s, o + 208) * x.scale(b) * sumi;
                }
            }
            default -> throw new IllegalArgumentException(t.toString());
        }
        return sum;
    }
}
