package dev.parley.inference.engine;

import dev.parley.inference.kv.BlockManager;
import dev.parley.inference.model.Model;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides what runs in each step (vLLM v1 style): first one decode token for every running sequence, then prefill
 * chunks (at most {@code prefillChunk} tokens each) for running sequences still reading their prompt, oldest first,
 * then admission of waiting requests while the step's token budget, the running limit and free KV blocks allow.
 *
 * <p>KV memory comes from the {@link BlockManager}. When a decoding sequence needs a block and none is free, the most
 * recently admitted running sequence is preempted: its blocks are released and it goes back to the head of the queue
 * to be recomputed later (its full blocks stay in the prefix cache, so the recomputation is often a cache hit).
 * Only the scheduler thread touches this class.
 */
final class Scheduler {
    /** A sequence and how many of its next tokens run this step. */
    record Work(Sequence seq, int tokens) {}

    private final Model model;
    private final EngineConfig config;
    private final BlockManager blocks;
    final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    /** In admission order: the last one is the first to be preempted. */
    final List<Sequence> running = new ArrayList<>();
    private final List<Work> work = new ArrayList<>();
    private long preemptions, prefixHitTokens, prefixQueryTokens;
    private boolean preemptedThisStep;

    Scheduler(Model model, EngineConfig config, BlockManager blocks) {
        this.model = model;
        this.config = config;
        this.blocks = blocks;
    }

    long preemptions() { return preemptions; }
    long prefixHitTokens() { return prefixHitTokens; }
    long prefixQueryTokens() { return prefixQueryTokens; }

    /** Positions the whole cache can hold: a sequence longer than this can never run. */
    int capacityTokens() {
        return blocks.totalBlocks() * blocks.blockSize();
    }

    /** This step's work; the list is reused by the next call. */
    List<Work> schedule() {
        while (true) {
            work.clear();
            preemptedThisStep = false;
            int budget = config.maxStepTokens();
            for (Sequence s : new ArrayList<>(running)) {
                if (s.isDone() || !running.contains(s) || s.totalTokens() - s.cachedTokens() != 1) continue;
                if (s.cachedTokens() + 1 > capacityTokens()) { // cannot grow even with the cache to itself
                    Engine.safely(s, () -> s.finish(FinishReason.CONTEXT_FULL, true));
                    continue;
                }
                if (makeRoom(s)) {
                    work.add(new Work(s, 1));
                    budget--;
                }
            }
            for (Sequence s : running) {
                if (s.isDone() || s.totalTokens() - s.cachedTokens() <= 1) continue;
                budget -= addChunk(s, budget);
            }
            // no admissions right after a preemption: the freed blocks go to the sequences already running
            while (!preemptedThisStep && budget > 0 && running.size() < config.maxRunning() && !waiting.isEmpty()) {
                int n = admit(waiting.peekFirst(), budget);
                if (n < 0) break;
                budget -= n;
            }
            // every running sequence is stuck waiting for blocks another one holds: free the newest one's
            if (work.isEmpty() && !running.isEmpty() && running.stream().noneMatch(Sequence::isDone)) {
                preempt(running.getLast());
                continue;
            }
            return work;
        }
    }

    /** Allocates the block for s's next token, preempting newer sequences (or s itself) until one is free. */
    private boolean makeRoom(Sequence s) {
        while (!blocks.allocate(s.table(), s.cachedTokens() + 1)) {
            Sequence victim = running.getLast();
            preempt(victim);
            if (victim == s) return false;
        }
        return true;
    }

    /** Schedules the next prompt chunk of s, as much as budget and free blocks allow; returns its size. */
    private int addChunk(Sequence s, int budget) {
        int n = Math.min(Math.min(s.totalTokens() - s.cachedTokens(), config.prefillChunk()), budget);
        while (n > 0 && !blocks.allocate(s.table(), s.cachedTokens() + n)) {
            // shrink to the blocks that are free: what the table holds plus the free ones
            n = Math.min(n - 1, (s.table().size() + blocks.freeBlocks()) * blocks.blockSize() - s.cachedTokens());
        }
        if (n > 0) work.add(new Work(s, n));
        return Math.max(n, 0);
    }

    /** Admits the head of the queue with its first chunk; returns the chunk size, or -1 if it must wait. */
    private int admit(Sequence s, int budget) {
        if (s.cancelRequested()) {
            waiting.pollFirst();
            Engine.safely(s, () -> s.finish(FinishReason.CANCELLED, false));
            return 0;
        }
        if (!s.started()) {
            try {
                s.start(model);
            } catch (RuntimeException e) {
                waiting.pollFirst();
                Engine.safely(s, () -> s.fail(e));
                return 0;
            }
        }
        s.setCached(blocks.matchPrefix(s.table(), s.tokens(), s.totalTokens()));
        int n = addChunk(s, budget);
        if (n == 0) { // no room yet: give the prefix back and wait for blocks to be freed
            blocks.release(s.table());
            s.preempt();
            return -1;
        }
        waiting.pollFirst();
        running.add(s);
        prefixHitTokens += s.cachedTokens();
        prefixQueryTokens += s.totalTokens();
        Engine.safely(s, s::admitted);
        return n;
    }

    /** Drops s's cache and queues it first, to be recomputed when blocks are free. */
    void preempt(Sequence s) {
        blocks.release(s.table());
        s.preempt();
        running.remove(s);
        work.removeIf(w -> w.seq() == s);
        waiting.addFirst(s);
        preemptions++;
        preemptedThisStep = true;
    }

    /** Releases the blocks of finished sequences and drops them from the running set and the queue. */
    void removeFinished() {
        for (Sequence s : running) if (s.isDone()) blocks.release(s.table());
        running.removeIf(Sequence::isDone);
        waiting.removeIf(Sequence::isDone);
    }
}
