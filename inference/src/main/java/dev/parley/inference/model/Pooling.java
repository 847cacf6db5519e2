package dev.parley.inference.model;

import dev.parley.inference.gguf.GgufFile;
import java.util.Locale;

/**
 * How an embedding is made from a sequence's final normed hidden states (the rows the vocabulary projection would
 * read): their mean, the first row's (CLS, for encoders that put a summary token first) or the last row's (what
 * decoder-only embedding models such as Qwen3-Embedding and e5-mistral use: only the last token has seen them all).
 */
public enum Pooling {
    MEAN, CLS, LAST;

    /** The GGUF key's numbering, as llama.cpp's {@code llama_pooling_type}: 0 none, 1 mean, 2 cls, 3 last, 4 rank. */
    private static final int GGUF_MEAN = 1, GGUF_CLS = 2, GGUF_LAST = 3;

    /** {@code mean}, {@code cls} or {@code last} (case-insensitive), as the serve option spells it. */
    public static Pooling parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown pooling '" + name + "' (mean, cls, last)");
        }
    }

    /**
     * The model's own pooling ({@code <arch>.pooling_type}), or null when the file does not say (a generative model:
     * the caller picks the default). Types that are not a pooling of hidden states (none, rank) fail clearly.
     */
    public static Pooling ofModel(GgufFile file) {
        String key = file.getString("general.architecture") + ".pooling_type";
        if (!file.has(key)) return null;
        long type = file.getLong(key);
        return switch (type >= 0 && type <= GGUF_LAST ? (int) type : -1) {
            case GGUF_MEAN -> MEAN;
            case GGUF_CLS -> CLS;
            case GGUF_LAST -> LAST;
            default -> throw file.error("key " + key + ": pooling type " + type
                    + " is not a pooling of hidden states (supported: 1 mean, 2 cls, 3 last)");
        };
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
