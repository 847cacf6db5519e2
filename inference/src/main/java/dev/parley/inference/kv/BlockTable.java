package dev.parley.inference.kv;

import java.util.Arrays;

/**
 * One sequence's view of the paged cache: the ids of its blocks in position order (position p lives in block
 * {@code ids[p / blockSize]}, slot {@code p % blockSize}), and the chained content hash of each full block that has
 * been registered for prefix reuse. The chain starts at the table's namespace: 0 for the base model, an adapter's own
 * value for sequences computed with a LoRA adapter, so a prefix computed with one is never reused by another. Two
 * tables may hold the same block: a prefix-cache hit (full blocks only) or a fork (every block, the partly filled
 * last one included, until one of them writes into it; see {@link BlockManager#fork}).
 */
public final class BlockTable {
    private final long namespace;
    private int[] ids = new int[8];
    private long[] hashes = new long[8];
    private int count;
    /** Leading blocks whose hash is known (registered or matched). */
    private int hashed;

    /** A table in the base model's namespace. */
    public BlockTable() {
        this(0);
    }

    public BlockTable(long namespace) {
        this.namespace = namespace;
    }

    /** The parent hash of the first block: which computation (base model or adapter) the blocks' contents belong to. */
    public long namespace() { return namespace; }

    public int size() { return count; }

    public int block(int index) {
        if (index >= count) throw new IndexOutOfBoundsException(index);
        return ids[index];
    }

    /** The backing id array (valid up to {@link #size()}); read by attention without copying. */
    public int[] ids() { return ids; }

    void add(int block) {
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, count * 2);
            hashes = Arrays.copyOf(hashes, count * 2);
        }
        ids[count++] = block;
    }

    int hashedBlocks() { return hashed; }

    long hash(int index) { return hashes[index]; }

    void setHash(int index, long hash) {
        hashes[index] = hash;
        hashed = index + 1;
    }

    /** Puts {@code block} at {@code index} in place of a shared one (copy-on-write). */
    void set(int index, int block) {
        if (index >= count) throw new IndexOutOfBoundsException(index);
        ids[index] = block;
    }

    /** Becomes a copy of {@code source}: the same blocks and known hashes (a fork; the counts are the manager's). */
    void copyOf(BlockTable source) {
        if (source.namespace != namespace) throw new IllegalArgumentException("a fork computes in its parent's namespace");
        ids = Arrays.copyOf(source.ids, Math.max(8, source.ids.length));
        hashes = Arrays.copyOf(source.hashes, ids.length);
        count = source.count;
        hashed = source.hashed;
    }

    void clear() {
        count = 0;
        hashed = 0;
    }
}
