package dev.parley.inference.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns token ids fed one at a time into text. A token may end inside a multi-byte UTF-8 character (byte-fallback
 * tokens, byte-level BPE): those bytes are held back until the character completes, so every returned string is whole
 * text. Invalid bytes become U+FFFD. Not thread-safe: one decoder per generation stream.
 */
public final class StreamDecoder {
    private final Tokenizer tokenizer;
    private byte[] pending = new byte[0];

    StreamDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds one token and returns the text completed so far and not yet returned (possibly ""). */
    public String feed(int id) {
        byte[] piece = tokenizer.pieceBytes(id);
        byte[] all = Arrays.copyOf(pending, pending.length + piece.length);
        System.arraycopy(piece, 0, all, pending.length, piece.length);
        int cut = completePrefixLength(all);
        pending = Arrays.copyOfRange(all, cut, all.length);
        return new String(all, 0, cut, StandardCharsets.UTF_8);
    }

    /** Returns whatever is held back (an incomplete character becomes U+FFFD) and resets the decoder. */
    public String flush() {
        String rest = new String(pending, StandardCharsets.UTF_8);
        pending = new byte[0];
        return rest;
    }

    /**
     * Length of the prefix that can be decoded now: everything except a trailing lead byte followed by fewer
     * continuation bytes than it announces (a character that may still complete).
     */
    static int completePrefixLength(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int lead = b[n - back] & 0xFF;
            if ((lead & 0xC0) == 0x80) continue; // continuation byte: keep looking for the lead
            return sequenceLength(lead) > back ? n - back : n;
        }
        return n;
    }

    /** How many bytes a UTF-8 sequence starting with {@code lead} has; 1 for ASCII and for bytes that cannot lead. */
    private static int sequenceLength(int lead) {
        if (lead >= 0xC2 && lead <= 0xDF) return 2;
        if (lead >= 0xE0 && lead <= 0xEF) return 3;
        if (lead >= 0xF0 && lead <= 0xF4) return 4;
        return 1;
    }
}
