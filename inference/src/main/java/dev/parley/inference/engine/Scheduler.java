package dev.parley.inference.engine;

import dev.parley.inference.kv.BlockManager;
import dev.parley.inference.model.Model;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides what runs in each step and owns every change of a request's scheduling state (vLLM v1's scheduler):
 * requests come in through {@link #add} and {@link #abort}, {@link #schedule} plans a step, and {@link #update}
 * applies what the model computed for it. Nothing else moves a sequence between the queue and the running batch.
 * Embedding requests are sequences too: they are prefilled like any prompt and end, freeing their blocks, in the
 * update that computed their last token.
 *
 * <p>A plan holds first one decode token for every running sequence, then prefill chunks (at most
 * {@code prefillChunk} tokens each) for running sequences still reading their prompt, oldest first, then admissions
 * of waiting requests while the step's token budget, the running limit and free KV blocks allow.
 *
 * <p>KV memory comes from the {@link BlockManager}. When a decoding sequence needs a block and none is free, the most
 * recently admitted running sequence is preempted: its blocks are released and it goes back to the head of the queue
 * to be recomputed later (its full blocks stay in the prefix cache, so the recomputation is often a cache hit).
 * Preemption always takes the last running sequence, which keeps every pass over the running batch linear.
 *
 * <p>A request for n answers is admitted only when n places of the running batch are free; it reads its prompt as
 * one sequence, and in the update that computes the prompt's last token the other n - 1 fork from it: they share all
 * its KV blocks (the {@link BlockManager}'s reference counts) and each samples its first token from the same logits.
 * The partly filled last prompt block is copied on the first write into it ({@link BlockManager#makeWritable}: the
 * plan carries the copy, the runner makes it before the forward pass); only decoding ever writes into a shared
 * block, since a prefill writes past its prefix hit, whose blocks are full, and a preempted fork recomputes into
 * fresh blocks. Only the engine's worker thread calls this class.
 */
final class Scheduler {
    private final Model model;
    private final EngineConfig config;
    private final BlockManager blocks;
    private final OutputProcessor outputs;
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    /** In admission order: the last one is the first to be preempted. */
    private final List<Sequence> running;
    private final StepPlan plan = new StepPlan();
    private long preemptions, prefixHitTokens, prefixQueryTokens;
    private boolean preemptedThisStep;

    Scheduler(Model model, EngineConfig config, BlockManager blocks) {
        this(model, config, blocks, new ArrayList<>());
    }

    /** With the list that holds the running batch (a test observes how it is used). */
    Scheduler(Model model, EngineConfig config, BlockManager blocks, List<Sequence> running) {
        this.model = model;
        this.config = config;
        this.blocks = blocks;
        this.outputs = new OutputProcessor(model);
        this.running = running;
    }

    long preemptions() { return preemptions; }
    long prefixHitTokens() { return prefixHitTokens; }
    long prefixQueryTokens() { return prefixQueryTokens; }
    int runningCount() { return running.size(); }
    int waitingCount() { return waiting.size(); }
    boolean hasWork() { return !running.isEmpty() || !waiting.isEmpty(); }

    /** Positions the whole cache can hold: a sequence longer than this can never run. */
    int capacityTokens() {
        return blocks.totalBlocks() * blocks.blockSize();
    }

    /** Queues a new request behind the waiting ones. */
    void add(Sequence seq) {
        waiting.addLast(seq);
    }

    /** Ends a request its client cancelled, with every answer forked from it; blocks are released before the next plan. */
    void abort(Sequence seq) {
        outputs.finish(seq, FinishReason.CANCELLED, false);
        for (Sequence fork : seq.forks()) outputs.finish(fork, FinishReason.CANCELLED, false);
    }

    /** Ends every request, queued or running (the engine is closing), and releases their blocks. */
    void abortAll() {
        for (Sequence seq : running) abort(seq);
        for (Sequence seq : waiting) abort(seq);
        removeFinished();
    }

    /** Plans the next step; the plan is reused by the next call. */
    StepPlan schedule() {
        removeFinished();
        while (true) {
            plan.clear();
            preemptedThisStep = false;
            int budget = config.maxStepTokens();
            // by index: preemption only ever removes the tail, so the loop simply ends earlier
            for (int i = 0; i < running.size(); i++) {
                Sequence seq = running.get(i);
                if (seq.isDone() || seq.totalTokens() - seq.computedTokens() != 1) continue;
                if (seq.computedTokens() + 1 > capacityTokens()) { // cannot grow even with the cache to itself
                    outputs.finish(seq, FinishReason.CONTEXT_FULL, true);
                    continue;
                }
                if (makeRoom(seq)) {
                    plan.add(seq, 1);
                    budget--;
                }
            }
            int slots = 0; // places of the running batch taken, answers still to fork included
            for (Sequence seq : running) {
                slots += seq.slots();
                if (seq.isDone() || seq.totalTokens() - seq.computedTokens() <= 1) continue;
                budget -= addChunk(seq, budget);
            }
            // no admissions right after a preemption: the freed blocks go to the sequences already running
            while (!preemptedThisStep && budget > 0 && !waiting.isEmpty() && slots + waiting.peekFirst().slots() <= config.maxRunning()) {
                Sequence next = waiting.peekFirst();
                int admitted = admit(next, budget);
                if (admitted < 0) break;
                if (admitted > 0) slots += next.slots();
                budget -= admitted;
            }
            // every running sequence is stuck waiting for blocks another one holds: free the newest one's
            if (plan.isEmpty() && !running.isEmpty() && running.stream().noneMatch(Sequence::isDone)) {
                preempt(running.getLast());
                continue;
            }
            return plan;
        }
    }

    /**
     * Applies a step's outcome: each planned sequence's tokens are now computed (its full blocks join the prefix
     * cache), a sequence whose last token was computed gets its next token from the output processor, and finished
     * sequences leave, releasing their blocks. A failed batch ends every sequence in it with the failure.
     */
    void update(StepPlan executed, StepOutput output) {
        List<StepPlan.Entry> entries = executed.entries();
        for (int i = 0; i < entries.size(); i++) {
            Sequence seq = entries.get(i).seq();
            Pooler pooler = seq.pooler();
            if (output.failure() != null) {
                outputs.fail(seq, output.failure());
            } else if (pooler != null) {
                pooler.accept(output.hidden(), output.hiddenStart()[i], seq.computedTokens(), entries.get(i).tokens(), seq.totalTokens());
                if (seq.markComputed(entries.get(i).tokens())) outputs.finish(seq, FinishReason.STOP, false);
                continue; // its blocks are freed below, not kept as prefix cache: nothing generates from an embedded text
            } else if (seq.markComputed(entries.get(i).tokens())) {
                if (seq.forksPending()) fork(seq, output.logits()[i]);
                else outputs.process(seq, output.logits()[i]);
            }
            blocks.registerFull(seq.table(), seq.tokens(), seq.computedTokens());
        }
        removeFinished();
    }

    /**
     * The prompt of an n-answer request is computed: the other answers fork from it, sharing its blocks, join the
     * running batch behind it, and each samples its first token from a copy of the same logits (sampling changes them).
     */
    private void fork(Sequence parent, float[] logits) {
        List<Sequence> children;
        try {
            children = parent.fork(model);
        } catch (RuntimeException e) {
            outputs.fail(parent, e); // its never-forked answers get the same error
            return;
        }
        for (Sequence child : children) {
            blocks.fork(parent.table(), child.table());
            running.add(child);
            OutputProcessor.safely(child, child::admittedAsFork);
            outputs.process(child, logits.clone());
        }
        outputs.process(parent, logits);
    }

    /**
     * Allocates the block for the next token of seq, and a private copy of it when it is shared with a fork,
     * preempting newer sequences (or seq itself) until the blocks are free.
     */
    private boolean makeRoom(Sequence seq) {
        int position = seq.computedTokens();
        while (!blocks.allocate(seq.table(), position + 1) || !writable(seq, position)) {
            Sequence victim = running.getLast();
            preempt(victim);
            if (victim == seq) return false;
        }
        return true;
    }

    /** Makes the block of {@code position} seq's own (copy-on-write after a fork); false when no block is free for it. */
    private boolean writable(Sequence seq, int position) {
        return !blocks.isShared(seq.table(), position)
                || blocks.makeWritable(seq.table(), position, position + 1, (from, to) -> plan.copy(seq, from, to));
    }

    /** Schedules the next prompt chunk of seq, as much as budget and free blocks allow; returns its size. */
    private int addChunk(Sequence seq, int budget) {
        int computed = seq.computedTokens();
        int chunk = Math.min(Math.min(seq.totalTokens() - computed, config.prefillChunk()), budget);
        while (chunk > 0 && !blocks.allocate(seq.table(), computed + chunk)) {
            // shrink to the blocks that are free: what the table holds plus the free ones
            chunk = Math.min(chunk - 1, (seq.table().size() + blocks.freeBlocks()) * blocks.blockSize() - computed);
        }
        if (chunk > 0) plan.add(seq, chunk);
        return Math.max(chunk, 0);
    }

    /** Admits the head of the queue with its first chunk; returns the chunk size, or -1 if it must wait. */
    private int admit(Sequence seq, int budget) {
        if (!seq.started()) {
            try {
                seq.start(model);
            } catch (RuntimeException e) {
                waiting.pollFirst();
                outputs.fail(seq, e);
                return 0;
            }
        }
        // an embedding needs the hidden state of every position it pools, so it computes them all
        seq.setPrefixHit(seq.pooler() != null ? 0 : blocks.matchPrefix(seq.table(), seq.tokens(), seq.totalTokens()));
        int chunk = addChunk(seq, budget);
        if (chunk == 0) { // no room yet: give the prefix back and wait for blocks to be freed
            blocks.release(seq.table());
            seq.preempt();
            return -1;
        }
        waiting.pollFirst();
        running.add(seq);
        prefixHitTokens += seq.computedTokens();
        prefixQueryTokens += seq.totalTokens();
        OutputProcessor.safely(seq, seq::admitted);
        return chunk;
    }

    /** Drops the cache of the last running sequence and queues it first, to be recomputed when blocks are free. */
    private void preempt(Sequence seq) {
        if (running.getLast() != seq) throw new IllegalStateException("only the newest running sequence is preempted");
        blocks.release(seq.table());
        seq.preempt();
        running.removeLast();
        plan.remove(seq);
        waiting.addFirst(seq);
        preemptions++;
        preemptedThisStep = true;
    }

    /** Releases the blocks of finished sequences and drops them from the running batch and the queue. */
    private void removeFinished() {
        for (Sequence seq : running) if (seq.isDone()) blocks.release(seq.table());
        running.removeIf(Sequence::isDone);
        waiting.removeIf(Sequence::isDone);
    }
}
