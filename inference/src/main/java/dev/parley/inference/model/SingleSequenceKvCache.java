package dev.parley.inference.model;

import dev.parley.inference.kv.KvFormat;
import dev.parley.inference.kv.PagedKvCache;

/**
 * The cache of a single sequence driven directly (CLI logits, tests, samples): a private paged cache whose blocks are
 * all owned by this one sequence, in order, plus the step buffers. The serving engine shares one paged cache among
 * many sequences instead; both run the same batched forward pass.
 */
public final class SingleSequenceKvCache implements AutoCloseable {
    private static final int BLOCK = 16;

    private final int capacity;
    final PagedKvCache paged;
    final int[] table;
    final Batch batch = new Batch();
    final ForwardBuffers buffers;

    public SingleSequenceKvCache(ModelConfig c, int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("capacity " + capacity);
        this.capacity = capacity;
        int blocks = (capacity + BLOCK - 1) / BLOCK;
        this.paged = new PagedKvCache(c.kvShape(), KvFormat.F32, BLOCK, blocks);
        this.table = new int[blocks];
        for (int i = 0; i < blocks; i++) table[i] = i;
        this.buffers = new ForwardBuffers(c);
    }

    public int capacity() { return capacity; }

    @Override public void close() {
        paged.close();
    }
}
