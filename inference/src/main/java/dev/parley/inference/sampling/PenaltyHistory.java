package dev.parley.inference.sampling;

/**
 * The tokens a sequence has seen, as counts over the last {@code window} accepted tokens (or over all of them when
 * the window is unbounded), plus the list of distinct tokens currently counted so the penalties touch only those
 * logits instead of scanning the vocabulary.
 */
final class PenaltyHistory {
    private final int[] counts;          // per vocabulary id: occurrences inside the window
    private final int[] distinct;        // ids with counts > 0, in no particular order
    private final int[] positionInDistinct;
    private int distinctSize;
    private final int[] ring;            // the window, oldest at ringStart; null when unbounded
    private int ringStart;
    private int ringSize;

    /** @param window how many recent tokens count; -1 counts every accepted token */
    PenaltyHistory(int vocabSize, int window) {
        counts = new int[vocabSize];
        distinct = new int[vocabSize];
        positionInDistinct = new int[vocabSize];
        ring = window < 0 ? null : new int[window];
    }

    void add(int token) {
        if (ring != null) {
            if (ringSize == ring.length) {
                decrement(ring[ringStart]);
                ring[ringStart] = token;
                ringStart = (ringStart + 1) % ring.length;
            } else {
                ring[(ringStart + ringSize) % ring.length] = token;
                ringSize++;
            }
        }
        if (counts[token]++ == 0) {
            positionInDistinct[token] = distinctSize;
            distinct[distinctSize++] = token;
        }
    }

    private void decrement(int token) {
        if (--counts[token] == 0) {
            // Swap-remove: move the last distinct id into the freed slot.
            int slot = positionInDistinct[token];
            int last = distinct[--distinctSize];
            distinct[slot] = last;
            positionInDistinct[last] = slot;
        }
    }

    /**
     * Applies llama.cpp's penalties to every counted token: the repetition penalty divides a positive logit and
     * multiplies a non-positive one (dividing a negative logit would make it more likely), then
     * {@code logit -= count * frequency + presence}.
     */
    void apply(float[] logits, float repetition, float frequency, float presence) {
        for (int i = 0; i < distinctSize; i++) {
            int token = distinct[i];
            int count = counts[token];
            float logit = logits[token];
            logit = logit <= 0 ? logit * repetition : logit / repetition;
            logits[token] = logit - (count * frequency + presence);
        }
    }

    int count(int token) {
        return counts[token];
    }
}
