package dev.parley.inference.tokenizer;

import dev.parley.inference.gguf.GgufFile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code tokenizer.*} metadata of a GGUF file with the defaults and fix-ups llama.cpp applies when loading it
 * (src/llama-vocab.cpp, Feb 2025): default special ids per tokenizer model, end-of-generation tokens found by text,
 * and the list of special tokens the input splitter looks for.
 */
final class Vocabulary {
    /** Token texts llama.cpp treats as end-of-generation (and forces to CONTROL) whatever the metadata says. */
    private static final Set<String> EOG_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|eom_id|>", "<EOT>", "<｜end▁of▁sentence｜>");

    final String model;
    final String[] texts;
    final float[] scores;
    final TokenType[] types;
    final Map<String, Integer> ids;
    final int bos, eos, eot, eom, unk;
    /** BERT's [CLS] and [SEP]; -1 for other models. */
    final int cls, sep;
    final boolean addBos, addEos, addSpacePrefix;
    final boolean[] eog;
    /** Strip ASCII whitespace after / before this token when splitting special tokens out of the input. */
    final boolean[] rstrip, lstrip;
    /** CONTROL, USER_DEFINED and UNKNOWN tokens, longest text first. */
    final int[] specialTokens;

    private Vocabulary(GgufFile file, String model, boolean defaultAddBos) {
        this.model = model;
        texts = file.getStringArray("tokenizer.ggml.tokens");
        int n = texts.length;
        if (n == 0) throw file.error("tokenizer.ggml.tokens is empty");
        scores = file.has("tokenizer.ggml.scores") ? file.getFloatArray("tokenizer.ggml.scores") : new float[n];
        if (scores.length != n) throw file.error("tokenizer.ggml.scores has " + scores.length + " entries for " + n + " tokens");
        types = new TokenType[n];
        if (file.has("tokenizer.ggml.token_type")) {
            int[] raw = file.getIntArray("tokenizer.ggml.token_type");
            if (raw.length != n) throw file.error("tokenizer.ggml.token_type has " + raw.length + " entries for " + n + " tokens");
            for (int i = 0; i < n; i++) types[i] = TokenType.fromId(raw[i]);
        } else {
            Arrays.fill(types, TokenType.NORMAL);
        }
        ids = HashMap.newHashMap(n);
        for (int i = 0; i < n; i++) ids.put(texts[i], i); // later duplicates win, as in llama.cpp

        boolean spm = model.equals("llama");
        boolean wpm = model.equals("bert");
        // llama.cpp's default ids per model when the keys are absent.
        bos = specialId(file, "bos", spm ? 1 : wpm ? -1 : 11);
        eos = specialId(file, "eos", spm ? 2 : wpm ? -1 : 11);
        unk = specialId(file, "unknown", spm ? 0 : wpm ? 100 : -1);
        cls = wpm ? specialId(file, "cls", specialId(file, "bos", 101)) : -1;
        sep = wpm ? specialId(file, "seperator", 102) : -1; // sic: llama.cpp's key name
        eom = specialId(file, "eom", id("<|eom_id|>"));
        int eotFromFile = specialId(file, "eot", -1);
        eot = eotFromFile >= 0 ? eotFromFile : firstEogTextOtherThanEom();
        addBos = file.getBool("tokenizer.ggml.add_bos_token", defaultAddBos);
        addEos = file.getBool("tokenizer.ggml.add_eos_token", false);
        addSpacePrefix = file.getBool("tokenizer.ggml.add_space_prefix", spm); // only SPM uses it

        eog = new boolean[n];
        for (int i = 0; i < n; i++) {
            if (EOG_TEXTS.contains(texts[i])) {
                eog[i] = true;
                types[i] = TokenType.CONTROL;
            }
        }
        for (int id : new int[] {eos, eot, eom}) if (id >= 0) eog[id] = true;

        specialTokens = collectSpecialTokens();
        rstrip = new boolean[n];
        lstrip = new boolean[n];
        String name = file.getString("general.name", "").toLowerCase(Locale.ROOT);
        if (name.contains("phi-3") || name.contains("phi3")) {
            // llama.cpp's Phi-3 rule: special tokens (and </s>) swallow the whitespace that follows them.
            for (int id : specialTokens) rstrip[id] = true;
            setIfPresent(rstrip, "</s>", true);
            for (String t : List.of("<unk>", "<s>", "<|endoftext|>")) setIfPresent(rstrip, t, false);
        }
    }

    static Vocabulary fromGguf(GgufFile file, String model, boolean defaultAddBos) {
        return new Vocabulary(file, model, defaultAddBos);
    }

    int size() { return texts.length; }

    /** The id for a token text, or -1. */
    int id(String text) {
        Integer id = ids.get(text);
        return id == null ? -1 : id;
    }

    /** llama.cpp keeps the default when the key is absent or its value is not a valid id. */
    private int specialId(GgufFile file, String what, int fallback) {
        String key = "tokenizer.ggml." + what + "_token_id";
        long v = file.getLong(key, fallback);
        if (v >= 0 && v < texts.length) return (int) v;
        return fallback >= 0 && fallback < texts.length ? fallback : -1;
    }

    private int firstEogTextOtherThanEom() {
        for (int i = 0; i < texts.length; i++) {
            if (EOG_TEXTS.contains(texts[i]) && !texts[i].equals("<|eom_id|>")) return i;
        }
        return -1;
    }

    private int[] collectSpecialTokens() {
        List<Integer> special = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) if (types[i].isSpecial() && !texts[i].isEmpty()) special.add(i);
        // llama.cpp tries longer texts first (by UTF-8 length); ties in id order to stay deterministic.
        special.sort(Comparator.<Integer>comparingInt(i -> utf8Length(texts[i])).reversed().thenComparingInt(i -> i));
        return special.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int utf8Length(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    private void setIfPresent(boolean[] flags, String text, boolean value) {
        int id = id(text);
        if (id >= 0) flags[id] = value;
    }
}
