package dev.parley.inference.constrain;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random strings near a grammar's language, for reference tests: sentences sampled by a random walk over the bytes
 * the grammar allows, then mutated (characters inserted, deleted, replaced, spans duplicated, cuts), so roughly half
 * are in the language and the rest are near misses. Which of them are valid is decided by the independent reference,
 * not by the walk.
 */
final class RandomText {
    private final CompiledGrammar grammar;
    private final Random random;
    private final String alphabet;

    /** {@code alphabet}: characters the mutations insert (those of the language, plus a few others). */
    RandomText(CompiledGrammar grammar, Random random, String alphabet) {
        this.grammar = grammar;
        this.random = random;
        this.alphabet = alphabet + "a0 \"\\{}[],:.-\né€😀";
    }

    /** A sentence of the grammar if the walk completes within {@code maxBytes}, else a viable prefix. */
    String walk(int maxBytes, double stopWhenComplete) {
        GrammarParser parser = grammar.newParser();
        byte[] out = new byte[maxBytes];
        int n = 0;
        while (n < maxBytes) {
            if (parser.isComplete() && (!parser.canContinue() || random.nextDouble() < stopWhenComplete)) break;
            List<Integer> ascii = new ArrayList<>();
            List<Integer> punctuation = new ArrayList<>();
            List<Integer> other = new ArrayList<>();
            for (int b = 0; b < 256; b++) {
                if (!parser.fork().advance(new byte[] {(byte) b})) continue;
                (b >= 0x80 ? other : Character.isLetterOrDigit(b) || b == ' ' ? ascii : punctuation).add(b);
            }
            if (ascii.isEmpty() && other.isEmpty() && punctuation.isEmpty()) break;
            // Punctuation closes strings, objects and arrays: favour it so walks finish in a useful length.
            int pick = random.nextInt(8);
            List<Integer> from = pick < 3 && !punctuation.isEmpty() ? punctuation
                    : pick == 3 && !other.isEmpty() ? other
                    : !ascii.isEmpty() ? ascii : !punctuation.isEmpty() ? punctuation : other;
            int b = from.get(random.nextInt(from.size()));
            parser.advance(new byte[] {(byte) b});
            out[n++] = (byte) b;
        }
        // a cut inside a multi-byte character: drop the partial character so the text stays valid UTF-8
        int end = n;
        while (end > 0 && (out[end - 1] & 0xC0) == 0x80) end--;
        if (end > 0 && (out[end - 1] & 0xFF) >= 0xC0) {
            int lead = out[end - 1] & 0xFF;
            int length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            if (n - (end - 1) < length) n = end - 1;
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    /** One to three random edits of {@code s}. */
    String mutate(String s) {
        StringBuilder b = new StringBuilder(s);
        int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits; e++) {
            int cps = b.codePointCount(0, b.length());
            int at = b.offsetByCodePoints(0, cps == 0 ? 0 : random.nextInt(cps + 1));
            switch (random.nextInt(5)) {
                case 0 -> b.insert(at, randomChar());
                case 1 -> {
                    if (at < b.length()) b.delete(at, at + Character.charCount(b.codePointAt(at)));
                }
                case 2 -> {
                    if (at < b.length()) b.replace(at, at + Character.charCount(b.codePointAt(at)), randomChar());
                }
                case 3 -> {
                    int end = b.offsetByCodePoints(at, Math.min(1 + random.nextInt(4), b.codePointCount(at, b.length())));
                    b.insert(end, b.substring(at, end));
                }
                default -> b.setLength(at);
            }
        }
        return b.toString();
    }

    private String randomChar() {
        int cps = alphabet.codePointCount(0, alphabet.length());
        int i = alphabet.offsetByCodePoints(0, random.nextInt(cps));
        return new String(Character.toChars(alphabet.codePointAt(i)));
    }

    /** Walks, their mutations and their prefixes, {@code count} in all. */
    List<String> samples(int count, int maxBytes) {
        List<String> out = new ArrayList<>();
        while (out.size() < count) {
            String sentence = walk(maxBytes, 0.2);
            out.add(sentence);
            out.add(mutate(sentence));
            out.add(mutate(mutate(sentence)));
            int cps = sentence.codePointCount(0, sentence.length());
            out.add(sentence.substring(0, sentence.offsetByCodePoints(0, random.nextInt(cps + 1))));
        }
        return out.subList(0, count);
    }
}
