package dev.parley.inference.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * What one step computes, as the {@link Scheduler} decided it: for each scheduled sequence, how many of its next
 * not-yet-computed tokens run (1 for a decoding sequence, a chunk for one reading its prompt). The model runner
 * reads it; {@link Scheduler#update} applies its outcome. It also lists the KV blocks to copy before the forward
 * pass (copy-on-write of a block a forked sequence shares; see {@link dev.parley.inference.kv.BlockManager#makeWritable}).
 * Reused from step to step.
 */
final class StepPlan {
    /** A sequence and how many of its next tokens run this step. */
    record Entry(Sequence seq, int tokens) {}

    /** A block whose keys and values are copied into a sequence's fresh block before the step writes into it. */
    record BlockCopy(Sequence seq, int fromBlock, int toBlock) {}

    private final List<Entry> entries = new ArrayList<>();
    private final List<BlockCopy> copies = new ArrayList<>();
    private int tokens;

    List<Entry> entries() { return entries; }
    boolean isEmpty() { return entries.isEmpty(); }
    /** Rows of the step: the tokens of every entry. */
    int tokens() { return tokens; }

    List<BlockCopy> copies() { return copies; }

    void copy(Sequence seq, int fromBlock, int toBlock) {
        copies.add(new BlockCopy(seq, fromBlock, toBlock));
    }

    void add(Sequence seq, int count) {
        entries.add(new Entry(seq, count));
        tokens += count;
    }

    /** Drops {@code seq}'s entry and block copies (it was preempted after being scheduled; its blocks are released). */
    void remove(Sequence seq) {
        copies.removeIf(copy -> copy.seq() == seq);
        entries.removeIf(entry -> {
            if (entry.seq() != seq) return false;
            tokens -= entry.tokens();
            return true;
        });
    }

    void clear() {
        entries.clear();
        copies.clear();
        tokens = 0;
    }
}
