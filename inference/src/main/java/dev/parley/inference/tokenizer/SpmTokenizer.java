package dev.parley.inference.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.PriorityQueue;

/**
 * SentencePiece-style tokenization ({@code tokenizer.ggml.model = "llama"}), as llama.cpp's llm_tokenizer_spm: spaces
 * become '▁', a dummy-prefix space goes before the first fragment and after special tokens (add_space_prefix), then
 * adjacent symbols merge greedily, highest-scoring vocabulary entry first (leftmost on ties). Characters that never
 * became part of a token fall back to {@code <0xNN>} byte tokens.
 *
 * <p>llama.cpp also keeps a "reverse merge" map to re-split unknown symbols, but every merged symbol is a vocabulary
 * token, so only unmerged single characters can be unknown, and those go straight to bytes; it is left out here.
 */
final class SpmTokenizer extends VocabTokenizer {
    private static final char SPACE_MARK = '\u2581';

    /** The token for each byte value: {@code <0xNN>}, else the one-character token, else UNK. */
    private final int[] byteTokens = new int[256];

    SpmTokenizer(Vocabulary vocab) {
        super(vocab);
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(String.format("<0x%02X>", b));
            if (id < 0 && b < 0x80) id = vocab.id(String.valueOf((char) b));
            byteTokens[b] = id >= 0 ? id : vocab.unk;
        }
    }

    @Override protected void encodeText(String fragment, boolean afterSpecial, IntList out) {
        String text = (vocab.addSpacePrefix && afterSpecial ? " " : "") + fragment;
        new Session(text.replace(' ', SPACE_MARK)).run(out);
    }

    @Override protected byte[] ordinaryPieceBytes(int id, TokenType type) {
        String text = vocab.texts[id];
        if (type == TokenType.BYTE) return new byte[] {(byte) parseByteToken(text)};
        return text.replace(SPACE_MARK, ' ').getBytes(StandardCharsets.UTF_8);
    }

    /** The byte of a {@code <0xNN>} token. */
    private static int parseByteToken(String text) {
        if (text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")) {
            try {
                return Integer.parseInt(text.substring(3, 5), 16);
            } catch (NumberFormatException ignored) {
                // fall through
            }
        }
        throw new IllegalStateException("BYTE token with text '" + text + "' is not of the form <0xNN>");
    }

    /** A candidate merge of two adjacent symbols. */
    private record Bigram(int left, int right, float score, int length) {}

    /** One fragment's symbols: code points kept as a doubly linked list over the text. */
    private final class Session {
        private final String text;
        private final int[] start, length, prev, next;
        private final PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) ->
                a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));

        Session(String text) {
            this.text = text;
            int n = text.codePointCount(0, text.length());
            start = new int[n];
            length = new int[n];
            prev = new int[n];
            next = new int[n];
            for (int i = 0, offset = 0; i < n; i++) {
                start[i] = offset;
                length[i] = Character.charCount(text.codePointAt(offset));
                offset += length[i];
                prev[i] = i - 1;
                next[i] = i + 1 < n ? i + 1 : -1;
            }
        }

        void run(IntList out) {
            if (start.length == 0) return;
            for (int i = 1; i < start.length; i++) tryAddBigram(i - 1, i);
            while (!queue.isEmpty()) {
                Bigram bigram = queue.poll();
                int left = bigram.left, right = bigram.right;
                // Stale if either side was merged into something else since the bigram was queued.
                if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != bigram.length) continue;
                length[left] += length[right];
                length[right] = 0;
                next[left] = next[right];
                if (next[right] >= 0) prev[next[right]] = left;
                tryAddBigram(prev[left], left);
                tryAddBigram(left, next[left]);
            }
            for (int i = 0; i != -1; i = next[i]) emit(i, out);
        }

        private void tryAddBigram(int left, int right) {
            if (left < 0 || right < 0) return;
            int id = vocab.id(text.substring(start[left], start[right] + length[right]));
            if (id < 0) return;
            queue.add(new Bigram(left, right, vocab.scores[id], length[left] + length[right]));
        }

        private void emit(int symbol, IntList out) {
            String piece = text.substring(start[symbol], start[symbol] + length[symbol]);
            int id = vocab.id(piece);
            if (id >= 0) {
                out.add(id);
                return;
            }
            for (byte b : piece.getBytes(StandardCharsets.UTF_8)) out.add(byteTokens[b & 0xFF]);
        }
    }
}
