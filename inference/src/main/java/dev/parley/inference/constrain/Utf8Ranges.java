package dev.parley.inference.constrain;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a code point range into UTF-8 byte-range sequences, so a character class becomes a few alternatives of byte
 * classes (the construction regex engines use for byte automata). Surrogates are skipped: UTF-8 cannot encode them.
 */
final class Utf8Ranges {
    private static final int[] MAX_BY_LENGTH = {0x7F, 0x7FF, 0xFFFF, 0x10FFFF};

    private Utf8Ranges() {}

    /** Each entry is one sequence: {@code [lo0, hi0, lo1, hi1, ...]}, one inclusive byte range per byte position. */
    static List<int[]> sequences(int lo, int hi) {
        List<int[]> out = new ArrayList<>();
        if (lo <= 0xD7FF) split(lo, Math.min(hi, 0xD7FF), out);
        if (hi >= 0xE000) split(Math.max(lo, 0xE000), hi, out);
        return out;
    }

    private static void split(int lo, int hi, List<int[]> out) {
        if (lo > hi) return;
        for (int max : MAX_BY_LENGTH) {
            if (lo <= max && hi > max) { // straddles an encoding-length boundary
                split(lo, max, out);
                split(max + 1, hi, out);
                return;
            }
        }
        if (hi <= 0x7F) {
            out.add(new int[] {lo, hi});
            return;
        }
        int length = hi <= 0x7FF ? 2 : hi <= 0xFFFF ? 3 : 4;
        for (int i = 1; i < length; i++) {
            int mask = (1 << (6 * i)) - 1;
            if ((lo & ~mask) != (hi & ~mask)) {
                if ((lo & mask) != 0) {
                    split(lo, lo | mask, out);
                    split((lo | mask) + 1, hi, out);
                    return;
                }
                if ((hi & mask) != mask) {
                    split(lo, (hi & ~mask) - 1, out);
                    split(hi & ~mask, hi, out);
                    return;
                }
            }
        }
        byte[] a = new String(Character.toChars(lo)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] b = new String(Character.toChars(hi)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int[] seq = new int[2 * length];
        for (int i = 0; i < length; i++) {
            seq[2 * i] = a[i] & 0xFF;
            seq[2 * i + 1] = b[i] & 0xFF;
        }
        out.add(seq);
    }
}
