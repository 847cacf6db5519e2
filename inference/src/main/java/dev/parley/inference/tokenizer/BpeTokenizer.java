package dev.parley.inference.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE ({@code tokenizer.ggml.model = "gpt2"}), as llama.cpp's llm_tokenizer_bpe: the text is split into
 * words by the {@link PreTokenizer}, each word's UTF-8 bytes are mapped to characters by {@link ByteUnicode}, and
 * adjacent symbols merge by the rank of their pair in {@code tokenizer.ggml.merges} (lowest rank first, leftmost on
 * ties) until no ranked pair is left.
 */
final class BpeTokenizer extends VocabTokenizer {
    /** Words repeat a lot in real text; past this many cached words the cache starts over. */
    private static final int WORD_CACHE_LIMIT = 65_536;

    private final PreTokenizer preTokenizer;
    /** Rank of each merge, keyed by its "left right" text as stored in the file; the first occurrence wins. */
    private final Map<String, Integer> mergeRanks;
    private final Map<String, int[]> wordCache = new ConcurrentHashMap<>();

    BpeTokenizer(Vocabulary vocab, PreTokenizer preTokenizer, String[] merges) {
        super(vocab);
        this.preTokenizer = preTokenizer;
        this.mergeRanks = HashMap.newHashMap(merges.length);
        for (int rank = 0; rank < merges.length; rank++) mergeRanks.putIfAbsent(merges[rank], rank);
    }

    @Override protected void encodeText(String text, boolean afterSpecial, IntList out) {
        for (String word : preTokenizer.split(text)) {
            String symbols = ByteUnicode.encode(word);
            int[] ids = wordCache.get(symbols);
            if (ids == null) {
                ids = encodeWord(symbols);
                if (wordCache.size() >= WORD_CACHE_LIMIT) wordCache.clear();
                wordCache.put(symbols, ids);
            }
            out.addAll(ids);
        }
    }

    /** BPE of one byte-mapped word. Every character is one byte, so symbols are ranges of the word's chars. */
    private int[] encodeWord(String word) {
        IntList out = new IntList();
        if (preTokenizer.ignoresMerges()) {
            int whole = vocab.id(word);
            if (whole >= 0) return new int[] {whole};
        }
        new Merger(word).run(out);
        return out.toArray();
    }

    @Override protected byte[] ordinaryPieceBytes(int id, TokenType type) {
        if (type != TokenType.NORMAL) return new byte[0]; // llama.cpp renders nothing for BYTE tokens in BPE vocabs
        String text = vocab.texts[id];
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int b = cp < 0x10000 ? ByteUnicode.byteOf((char) cp) : -1;
            // A character outside the byte mapping (rare in real vocabularies) is passed through as its own UTF-8;
            // llama.cpp would print an "[UNK_BYTE_..]" marker instead.
            if (b >= 0) bytes.write(b);
            else bytes.writeBytes(Character.toString(cp).getBytes(StandardCharsets.UTF_8));
            i += Character.charCount(cp);
        }
        return bytes.toByteArray();
    }

    /** A candidate merge of two adjacent symbols. */
    private record Bigram(int left, int right, int rank, int leftLength, int rightLength) {}

    /** The symbols of one word as a doubly linked list over its characters, merged through a priority queue. */
    private final class Merger {
        private final String word;
        private final int[] length, prev, next;
        private final PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) ->
                a.rank != b.rank ? Integer.compare(a.rank, b.rank) : Integer.compare(a.left, b.left));

        Merger(String word) {
            this.word = word;
            int n = word.length();
            length = new int[n];
            prev = new int[n];
            next = new int[n];
            for (int i = 0; i < n; i++) {
                length[i] = 1;
                prev[i] = i - 1;
                next[i] = i + 1 < n ? i + 1 : -1;
            }
        }

        void run(IntList out) {
            if (word.isEmpty()) return;
            for (int i = 1; i < word.length(); i++) tryAddBigram(i - 1, i);
            while (!queue.isEmpty()) {
                Bigram bigram = queue.poll();
                int left = bigram.left, right = bigram.right;
                // Stale if either side changed since the bigram was queued (same test as llama.cpp's text compare).
                if (length[left] != bigram.leftLength || length[right] != bigram.rightLength) continue;
                length[left] += length[right];
                length[right] = 0;
                next[left] = next[right];
                if (next[right] >= 0) prev[next[right]] = left;
                tryAddBigram(prev[left], left);
                tryAddBigram(left, next[left]);
            }
            for (int i = 0; i != -1; i = next[i]) emit(word.substring(i, i + length[i]), out);
        }

        private void tryAddBigram(int left, int right) {
            if (left < 0 || right < 0) return;
            String pair = word.substring(left, left + length[left]) + ' ' + word.substring(right, right + length[right]);
            Integer rank = mergeRanks.get(pair);
            if (rank != null) queue.add(new Bigram(left, right, rank, length[left], length[right]));
        }

        /** A symbol that is no token is emitted as its single-character tokens where those exist (as llama.cpp). */
        private void emit(String symbol, IntList out) {
            int id = vocab.id(symbol);
            if (id >= 0) {
                out.add(id);
                return;
            }
            for (int i = 0; i < symbol.length(); i++) {
                char c = symbol.charAt(i);
                int single = c < 0x80 ? vocab.id(String.valueOf(c)) : -1;
                if (single >= 0) out.add(single);
            }
        }
    }
}
