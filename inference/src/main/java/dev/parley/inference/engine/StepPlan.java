package dev.parley.inference.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * What one step computes, as the {@link Scheduler} decided it: for each scheduled sequence, how many of its next
 * not-yet-computed tokens run (1 for a decoding sequence, a chunk for one reading its prompt). The model runner
 * reads it; {@link Scheduler#update} applies its outcome. Reused from step to step.
 */
final class StepPlan {
    /** A sequence and how many of its next tokens run this step. */
    record Entry(Sequence seq, int tokens) {}

    private final List<Entry> entries = new ArrayList<>();
    private int tokens;

    List<Entry> entries() { return entries; }
    boolean isEmpty() { return entries.isEmpty(); }
    /** Rows of the step: the tokens of every entry. */
    int tokens() { return tokens; }

    void add(Sequence seq, int count) {
        entries.add(new Entry(seq, count));
        tokens += count;
    }

    /** Drops {@code seq}'s entry (it was preempted after being scheduled). */
    void remove(Sequence seq) {
        entries.removeIf(entry -> {
            if (entry.seq() != seq) return false;
            tokens -= entry.tokens();
            return true;
        });
    }

    void clear() {
        entries.clear();
        tokens = 0;
    }
}
