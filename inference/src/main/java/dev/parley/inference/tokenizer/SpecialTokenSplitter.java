package dev.parley.inference.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts the texts of special tokens out of the input before the model's tokenizer sees it (llama.cpp's
 * {@code tokenizer_st_partition}). Special tokens are tried longest first, each over all text fragments left by the
 * previous ones. CONTROL and UNKNOWN tokens are cut out only when special parsing is requested; USER_DEFINED tokens
 * always are, as Hugging Face tokenizers do with added tokens.
 */
final class SpecialTokenSplitter {
    /** A piece of input: either plain text ({@code token < 0}) or one special token. */
    record Fragment(int token, String text) {
        static Fragment text(String text) { return new Fragment(-1, text); }
        static Fragment token(int id) { return new Fragment(id, null); }
        boolean isToken() { return token >= 0; }
    }

    private final Vocabulary vocab;

    SpecialTokenSplitter(Vocabulary vocab) {
        this.vocab = vocab;
    }

    List<Fragment> split(String text, boolean parseSpecial) {
        List<Fragment> fragments = List.of(Fragment.text(text));
        for (int id : vocab.specialTokens) {
            TokenType type = vocab.types[id];
            if (!parseSpecial && type != TokenType.USER_DEFINED) continue;
            String special = vocab.texts[id];
            if (!anyTextContains(fragments, special)) continue;
            List<Fragment> next = new ArrayList<>(fragments.size() + 4);
            for (Fragment f : fragments) {
                if (f.isToken()) next.add(f);
                else cut(f.text(), id, special, next);
            }
            fragments = next;
        }
        return fragments;
    }

    private static boolean anyTextContains(List<Fragment> fragments, String special) {
        for (Fragment f : fragments) if (!f.isToken() && f.text().contains(special)) return true;
        return false;
    }

    /** Splits {@code text} at every occurrence of the special token, left to right. */
    private void cut(String text, int id, String special, List<Fragment> out) {
        int start = 0;
        int match = text.indexOf(special);
        while (match >= 0) {
            int leftEnd = match;
            if (vocab.lstrip[id]) while (leftEnd > start && isAsciiSpace(text.charAt(leftEnd - 1))) leftEnd--;
            if (leftEnd > start) out.add(Fragment.text(text.substring(start, leftEnd)));
            out.add(Fragment.token(id));
            start = match + special.length();
            if (vocab.rstrip[id]) while (start < text.length() && isAsciiSpace(text.charAt(start))) start++;
            match = text.indexOf(special, start);
        }
        if (start < text.length()) out.add(Fragment.text(text.substring(start)));
    }

    /** C's isspace() in the "C" locale, which llama.cpp uses for lstrip/rstrip. */
    private static boolean isAsciiSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
