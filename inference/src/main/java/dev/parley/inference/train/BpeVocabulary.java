package dev.parley.inference.train;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A GPT-2 style byte-level BPE vocabulary learned from a corpus. Tokens are stored as byte-mapped strings (one
 * character per byte, GPT-2's mapping), merges as "left right" in rank order, so the file's tokenizer
 * ({@code tokenizer.ggml.model = gpt2}, {@code pre = gpt-2}) reproduces {@link #encode} exactly. The last token is
 * the control token {@code <|endoftext|>} (the end-of-generation id; never seen in training).
 */
public final class BpeVocabulary {
    public static final String PRE_TOKENIZER = "gpt-2";
    public static final String END_OF_TEXT = "<|endoftext|>";
    /** GPT-2's split expression, with Unicode \s, \p{L}, \p{N} as llama.cpp applies it for pre = "gpt-2". */
    private static final Pattern WORDS = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final char[] BYTE_TO_CHAR = new char[256];

    static {
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = (char) (printable ? b : next++);
        }
    }

    private final String[] tokens;
    private final String[] merges;
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<String, Integer> ranks = new HashMap<>();
    private final Map<String, int[]> wordCache = new HashMap<>();

    public BpeVocabulary(String[] tokens, String[] merges) {
        this.tokens = tokens;
        this.merges = merges;
        for (int i = 0; i < tokens.length; i++) ids.putIfAbsent(tokens[i], i);
        for (int r = 0; r < merges.length; r++) ranks.putIfAbsent(merges[r], r);
    }

    public String[] tokens() { return tokens; }
    public String[] merges() { return merges; }
    public int size() { return tokens.length; }
    public int endOfText() { return tokens.length - 1; }

    /**
     * Learns merges until the vocabulary has {@code vocabSize} tokens (or no pair occurs twice). The alphabet is all
     * 256 bytes, or with {@code charLevel} only the bytes the corpus uses and no merges at all.
     */
    public static BpeVocabulary train(String corpus, int vocabSize, boolean charLevel) {
        List<String> tokens = new ArrayList<>();
        Map<String, Integer> tokenIds = new HashMap<>();
        if (charLevel) {
            TreeSet<Integer> used = new TreeSet<>();
            for (byte b : corpus.getBytes(StandardCharsets.UTF_8)) used.add(b & 0xFF);
            for (int b : used) add(tokens, tokenIds, String.valueOf(BYTE_TO_CHAR[b]));
            tokens.add(END_OF_TEXT);
            return new BpeVocabulary(tokens.toArray(String[]::new), new String[0]);
        }
        for (int b = 0; b < 256; b++) add(tokens, tokenIds, String.valueOf(BYTE_TO_CHAR[b]));

        // distinct words with their counts, each as a sequence of token ids
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String w : split(corpus)) counts.merge(byteMapped(w), 1, Integer::sum);
        int[][] words = new int[counts.size()][];
        long[] freq = new long[counts.size()];
        int wi = 0;
        for (var e : counts.entrySet()) {
            String w = e.getKey();
            words[wi] = new int[w.length()];
            for (int i = 0; i < w.length(); i++) words[wi][i] = tokenIds.get(String.valueOf(w.charAt(i)));
            freq[wi++] = e.getValue();
        }
        Map<Long, Long> pairs = new HashMap<>();
        for (int i = 0; i < words.length; i++) countPairs(words[i], freq[i], pairs, 1);

        List<String> merges = new ArrayList<>();
        while (tokens.size() < vocabSize - 1) {
            long best = -1, bestCount = 1;
            for (var e : pairs.entrySet()) {
                long c = e.getValue(), k = e.getKey();
                if (c > bestCount || (c == bestCount && best >= 0 && k < best)) { best = k; bestCount = c; }
            }
            if (best < 0) break; // no pair occurs twice
            int a = (int) (best >>> 32), b = (int) best;
            String merged = tokens.get(a) + tokens.get(b);
            Integer existing = tokenIds.get(merged);
            int id = existing != null ? existing : add(tokens, tokenIds, merged);
            merges.add(tokens.get(a) + " " + tokens.get(b));
            for (int i = 0; i < words.length; i++) {
                if (!contains(words[i], a, b)) continue;
                countPairs(words[i], freq[i], pairs, -1);
                words[i] = mergeLeftToRight(words[i], a, b, id);
                countPairs(words[i], freq[i], pairs, 1);
            }
        }
        tokens.add(END_OF_TEXT);
        return new BpeVocabulary(tokens.toArray(String[]::new), merges.toArray(String[]::new));
    }

    private static int add(List<String> tokens, Map<String, Integer> ids, String t) {
        ids.put(t, tokens.size());
        tokens.add(t);
        return tokens.size() - 1;
    }

    private static void countPairs(int[] w, long freq, Map<Long, Long> pairs, int sign) {
        for (int i = 0; i + 1 < w.length; i++) {
            long key = ((long) w[i] << 32) | w[i + 1];
            long c = pairs.getOrDefault(key, 0L) + sign * freq;
            if (c == 0) pairs.remove(key); else pairs.put(key, c);
        }
    }

    private static boolean contains(int[] w, int a, int b) {
        for (int i = 0; i + 1 < w.length; i++) if (w[i] == a && w[i + 1] == b) return true;
        return false;
    }

    private static int[] mergeLeftToRight(int[] w, int a, int b, int id) {
        int[] out = new int[w.length];
        int n = 0;
        for (int i = 0; i < w.length; i++) {
            if (i + 1 < w.length && w[i] == a && w[i + 1] == b) { out[n++] = id; i++; }
            else out[n++] = w[i];
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** The pre-tokenizer's words; they concatenate back to {@code text}. */
    static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = WORDS.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.end() == m.start()) continue;
            if (m.start() > last) out.add(text.substring(last, m.start()));
            out.add(m.group());
            last = m.end();
        }
        if (last < text.length()) out.add(text.substring(last));
        return out;
    }

    static String byteMapped(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /** Token ids of {@code text}: per word, merge the lowest-ranked adjacent pair (leftmost on ties) until none is left. */
    public int[] encode(String text) {
        IntBuffer out = new IntBuffer();
        for (String word : split(text)) {
            String mapped = byteMapped(word);
            int[] ids = wordCache.computeIfAbsent(mapped, this::encodeWord);
            for (int id : ids) out.add(id);
        }
        return out.toArray();
    }

    private int[] encodeWord(String word) {
        List<String> symbols = new ArrayList<>();
        for (int i = 0; i < word.length(); i++) symbols.add(String.valueOf(word.charAt(i)));
        while (true) {
            int bestRank = Integer.MAX_VALUE, at = -1;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer r = ranks.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (r != null && r < bestRank) { bestRank = r; at = i; }
            }
            if (at < 0) break;
            symbols.set(at, symbols.get(at) + symbols.remove(at + 1));
        }
        IntBuffer out = new IntBuffer();
        for (String s : symbols) {
            Integer id = ids.get(s);
            if (id != null) out.add(id); // a byte missing from a char-level alphabet is dropped, as the engine does
        }
        return out.toArray();
    }

    public String decode(int[] ids) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int id : ids) {
            if (id == endOfText()) continue;
            for (char c : tokens[id].toCharArray()) bytes.write(byteOf(c));
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static int byteOf(char c) {
        for (int b = 0; b < 256; b++) if (BYTE_TO_CHAR[b] == c) return b;
        throw new IllegalArgumentException("not a byte-mapped character: " + (int) c);
    }

    /** A growable int array. */
    static final class IntBuffer {
        private int[] a = new int[16];
        private int n;

        void add(int v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, 2 * n);
            a[n++] = v;
        }

        int[] toArray() { return java.util.Arrays.copyOf(a, n); }
    }
}
