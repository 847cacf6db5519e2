package dev.parley.inference.kv;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * Owns the blocks of the paged cache: reference counts, the free list, and the prefix cache.
 *
 * <p>A full block whose keys and values are computed is registered under a hash chained over every token id of the
 * prefix up to its end (starting from the table's namespace: the base model or a LoRA adapter, whose keys and values
 * differ for the same tokens), so a later sequence with the same prefix (a shared system prompt, earlier conversation turns)
 * maps the same block instead of recomputing it. Blocks are shared read-only: a prefix hit shares only full blocks,
 * and a sequence writes only into blocks it holds alone. A {@link #fork} (several answers sampled from one prompt)
 * shares every block of the prompt, the partly filled last one included; the first fork to write into that one gets
 * a private copy ({@link #makeWritable}, copy-on-write as in vLLM's parallel sampling), the last holder writes in place.
 *
 * <p>A block whose count drops to zero goes to the tail of the free list but keeps its registration; allocation takes
 * the head, so unreferenced cached blocks are evicted least recently freed first, and a prefix hit on a free block
 * takes it back out of the list.
 */
public final class BlockManager {
    private final int blockSize;
    private final int[] refs;
    /** Registered hash of each block, valid when {@code registered[b]}. */
    private final long[] hashes;
    private final boolean[] registered;
    /** The token ids and parent hash of each registered block, to verify a hash hit against a collision. */
    private final int[][] tokens;
    private final long[] parents;
    /** Insertion order = LRU order; iteration starts at the least recently freed block. */
    private final LinkedHashSet<Integer> free = new LinkedHashSet<>();
    private final Map<Long, Integer> byHash = new HashMap<>();
    /** The most blocks ever held by tables at once: what a workload really needed of the arena. */
    private int peakUsed;

    public BlockManager(int blocks, int blockSize) {
        if (blocks < 1 || blockSize < 1) throw new IllegalArgumentException("blocks " + blocks + ", blockSize " + blockSize);
        this.blockSize = blockSize;
        refs = new int[blocks];
        hashes = new long[blocks];
        registered = new boolean[blocks];
        tokens = new int[blocks][];
        parents = new long[blocks];
        for (int b = 0; b < blocks; b++) free.add(b);
    }

    public int blockSize() { return blockSize; }
    public int totalBlocks() { return refs.length; }
    /** Blocks that can be allocated now (never used, or unreferenced and only cached). */
    public int freeBlocks() { return free.size(); }
    public int refCount(int block) { return refs[block]; }
    /** The most blocks held by tables at any one time since the manager was made. */
    public int peakUsedBlocks() { return peakUsed; }

    private void noteUsed() {
        peakUsed = Math.max(peakUsed, refs.length - free.size());
    }
    public boolean isCached(int block) { return registered[block]; }

    /** Blocks {@code table} still needs to hold {@code tokens} positions. */
    public int blocksNeeded(BlockTable table, int tokens) {
        return Math.max(0, (tokens + blockSize - 1) / blockSize - table.size());
    }

    /** Grows {@code table} to hold {@code tokens} positions; all or nothing. */
    public boolean allocate(BlockTable table, int tokens) {
        int need = blocksNeeded(table, tokens);
        if (need > free.size()) return false;
        for (int i = 0; i < need; i++) table.add(take());
        noteUsed();
        return true;
    }

    private int take() {
        Iterator<Integer> it = free.iterator();
        int b = it.next();
        it.remove();
        if (registered[b]) { // evict: its contents are about to be overwritten
            byHash.remove(hashes[b]);
            registered[b] = false;
            tokens[b] = null;
        }
        refs[b] = 1;
        return b;
    }

    /**
     * Makes {@code target} (empty) share every block of {@code source}, each block's count raised by one: a forked
     * sequence reads the same prompt without a copy. Needs no free block.
     */
    public void fork(BlockTable source, BlockTable target) {
        if (target.size() != 0) throw new IllegalStateException("table not empty");
        for (int i = 0; i < source.size(); i++) refs[source.block(i)]++;
        target.copyOf(source);
    }

    /**
     * Before positions {@code [from, to)} of {@code table} are written: each block of that range that another table
     * also holds is replaced by a fresh one, and {@code copies} is told to copy the old block's contents into it
     * (the positions before {@code from} must be kept). All or nothing: false, with nothing changed, when there are
     * not enough free blocks. The table must already hold the range ({@link #allocate}).
     */
    public boolean makeWritable(BlockTable table, int from, int to, BlockCopies copies) {
        if (to <= from) return true;
        int first = from / blockSize, last = (to - 1) / blockSize;
        if (last >= table.size()) throw new IllegalStateException("positions up to " + to + " are not allocated");
        int shared = 0;
        for (int i = first; i <= last; i++) if (refs[table.block(i)] > 1) shared++;
        if (shared > free.size()) return false;
        for (int i = first; i <= last; i++) {
            int block = table.block(i);
            if (refs[block] <= 1) continue;
            int copy = take();
            refs[block]--; // still held by the others; never zero here
            table.set(i, copy);
            copies.copy(block, copy);
        }
        noteUsed();
        return true;
    }

    /** Whether the block holding {@code position} is also held by another table (a write must copy it first). */
    public boolean isShared(BlockTable table, int position) {
        return refs[table.block(position / blockSize)] > 1;
    }

    /** Where {@link #makeWritable} sends the block copies the cache must make before the write. */
    @FunctionalInterface
    public interface BlockCopies {
        void copy(int fromBlock, int toBlock);
    }

    /**
     * Drops the table's references, last block first so a prefix's tail is evicted before its head. A table holding
     * a block nobody references (a double release) is rejected before any count changes, so the counts stay true.
     */
    public void release(BlockTable table) {
        for (int i = 0; i < table.size(); i++) {
            int block = table.block(i);
            if (refs[block] < 1) throw new IllegalStateException("block " + block + " released twice");
        }
        for (int i = table.size() - 1; i >= 0; i--) {
            int block = table.block(i);
            if (--refs[block] == 0) free.add(block);
        }
        table.clear();
    }

    /**
     * Maps the longest cached prefix of {@code ids[0, length)} into the empty {@code table}. At least the last token
     * is left to compute, since its logits are needed. Returns the number of positions covered.
     */
    public int matchPrefix(BlockTable table, int[] ids, int length) {
        if (table.size() != 0) throw new IllegalStateException("table not empty");
        long parent = table.namespace();
        int full = (length - 1) / blockSize;
        for (int i = 0; i < full; i++) {
            long h = chain(parent, ids, i * blockSize, blockSize);
            Integer b = byHash.get(h);
            int from = i * blockSize;
            if (b == null || parents[b] != parent || !Arrays.equals(tokens[b], 0, blockSize, ids, from, from + blockSize)) break;
            if (refs[b]++ == 0) free.remove(b);
            table.add(b);
            table.setHash(i, h);
            parent = h;
        }
        noteUsed();
        return table.size() * blockSize;
    }

    /**
     * Registers the table's full blocks among its first {@code computed} positions (their keys and values are now
     * written). A block whose prefix is already registered elsewhere stays private: both hold the same contents.
     */
    public void registerFull(BlockTable table, int[] ids, int computed) {
        int full = Math.min(computed / blockSize, table.size());
        for (int i = table.hashedBlocks(); i < full; i++) {
            long parent = i == 0 ? table.namespace() : table.hash(i - 1);
            long h = chain(parent, ids, i * blockSize, blockSize);
            table.setHash(i, h);
            int b = table.block(i);
            if (registered[b] || byHash.containsKey(h)) continue;
            registered[b] = true;
            hashes[b] = h;
            parents[b] = parent;
            tokens[b] = Arrays.copyOfRange(ids, i * blockSize, (i + 1) * blockSize);
            byHash.put(h, b);
        }
    }

    /** The hash of a block: the parent's hash chained with each token id (splitmix64 finalizer per step). */
    static long chain(long parent, int[] ids, int from, int count) {
        long h = parent;
        for (int i = from; i < from + count; i++) {
            h = (h ^ ids[i]) * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
            h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
            h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
            h ^= h >>> 31;
        }
        return h;
    }
}
