package dev.parley.inference.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * WordPiece ({@code tokenizer.ggml.model = "bert"}), as llama.cpp's llm_tokenizer_wpm. The text is cut into words at
 * whitespace, punctuation, ASCII symbols and CJK ideographs, lowercased and stripped of accents; each word gets a
 * '▁' prefix (the GGUF conversion stores word-initial pieces with '▁' and continuation pieces bare) and is covered
 * greedily by the longest vocabulary entries from the left. A word that cannot be covered becomes UNK.
 */
final class WpmTokenizer extends VocabTokenizer {
    private final int maxTokenLength;
    private final int cls, sep;

    WpmTokenizer(Vocabulary vocab, int cls, int sep) {
        super(vocab);
        int max = 0;
        for (String t : vocab.texts) max = Math.max(max, t.length());
        this.maxTokenLength = max;
        this.cls = cls;
        this.sep = sep;
    }

    /** BERT wraps the input in [CLS] ... [SEP] rather than BOS / EOS. */
    @Override public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        int[] inner = super.encode(text, false, parseSpecial);
        if (!addSpecial) return inner;
        IntList out = new IntList();
        if (cls >= 0) out.add(cls);
        out.addAll(inner);
        if (sep >= 0) out.add(sep);
        return out.toArray();
    }

    @Override protected void encodeText(String text, boolean afterSpecial, IntList out) {
        for (String word : words(text)) encodeWord("\u2581" + word, out);
    }

    private void encodeWord(String word, IntList out) {
        IntList pieces = new IntList();
        for (int i = 0; i < word.length(); ) {
            int matched = -1;
            for (int j = Math.min(word.length(), i + maxTokenLength); j > i && matched < 0; j--) {
                int id = vocab.id(word.substring(i, j));
                if (id >= 0) {
                    pieces.add(id);
                    matched = j;
                }
            }
            if (matched < 0) { // one uncovered piece makes the whole word unknown
                out.add(vocab.unk);
                return;
            }
            i = matched;
        }
        out.addAll(pieces.toArray());
    }

    /** llama.cpp's WPM pre-processing: accent stripping, lowercasing and word splitting. */
    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < text.length(); ) {
            int cp = stripAccent(text.codePointAt(i));
            i += Character.charCount(text.codePointAt(i));
            if (isWhiteSpace(cp)) {
                flush(word, words);
                continue;
            }
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) continue;
            int lower = Character.toLowerCase(cp);
            if (isPunctuation(cp) || (cp < 0x7F && isSymbol(cp)) || isChineseChar(cp)) {
                flush(word, words);
                words.add(Character.toString(lower));
            } else {
                word.appendCodePoint(lower);
            }
        }
        flush(word, words);
        return words;
    }

    private static void flush(StringBuilder word, List<String> words) {
        if (!word.isEmpty()) words.add(word.toString());
        word.setLength(0);
    }

    /** llama.cpp's "NFD" keeps only the first code point of each character's decomposition: é -> e. */
    private static int stripAccent(int cp) {
        if (cp < 0x80) return cp;
        return Normalizer.normalize(Character.toString(cp), Normalizer.Form.NFD).codePointAt(0);
    }

    /** The Unicode White_Space property (Character.isWhitespace differs: it excludes no-break spaces). */
    private static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    private static boolean isControl(int cp) {
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.PRIVATE_USE || t == Character.SURROGATE;
    }

    private static boolean isPunctuation(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    private static boolean isSymbol(int cp) {
        return switch (Character.getType(cp)) {
            case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> true;
            default -> false;
        };
    }

    /** The CJK ideograph blocks BERT splits into single characters (0x2B920 start as in the HF Rust code). */
    private static boolean isChineseChar(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    @Override protected byte[] ordinaryPieceBytes(int id, TokenType type) {
        return vocab.texts[id].replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
    }
}
