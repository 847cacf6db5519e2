package dev.parley.inference.kv;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BlockManagerTest {
    private static int[] ids(int n, int seed) {
        return IntStream.range(0, n).map(i -> seed * 1000 + i).toArray();
    }

    @Test
    void allocatesAllOrNothingAndFreesEverything() {
        BlockManager m = new BlockManager(4, 16);
        BlockTable a = new BlockTable(), b = new BlockTable();
        assertTrue(m.allocate(a, 33)); // 3 blocks
        assertEquals(3, a.size());
        assertEquals(1, m.freeBlocks());
        assertFalse(m.allocate(b, 17), "2 blocks needed, 1 free");
        assertEquals(0, b.size(), "nothing taken on failure");
        assertTrue(m.allocate(a, 48), "still fits in 3 blocks");
        assertEquals(3, a.size());
        assertTrue(m.allocate(b, 16));
        assertEquals(0, m.freeBlocks());
        for (int i = 0; i < 3; i++) assertEquals(1, m.refCount(a.block(i)));
        m.release(a);
        m.release(b);
        assertEquals(4, m.freeBlocks());
        assertEquals(0, a.size());
    }

    @Test
    void prefixHitSharesBlocksAndCountsReferences() {
        BlockManager m = new BlockManager(8, 4);
        int[] prompt = ids(10, 1);
        BlockTable a = new BlockTable();
        assertEquals(0, m.matchPrefix(a, prompt, prompt.length), "nothing cached yet");
        m.allocate(a, 10);
        m.registerFull(a, prompt, 10); // blocks 0 and 1 are full
        assertTrue(m.isCached(a.block(0)) && m.isCached(a.block(1)));
        assertFalse(m.isCached(a.block(2)));

        BlockTable b = new BlockTable();
        assertEquals(8, m.matchPrefix(b, prompt, prompt.length));
        assertEquals(a.block(0), b.block(0));
        assertEquals(a.block(1), b.block(1));
        assertEquals(2, m.refCount(a.block(0)));

        // a different second block shares only the first
        int[] other = prompt.clone();
        other[5] = -7;
        BlockTable c = new BlockTable();
        assertEquals(4, m.matchPrefix(c, other, other.length));
        assertEquals(3, m.refCount(a.block(0)));
        // a different first token shares nothing even though later blocks are equal (the hash is chained)
        int[] shifted = prompt.clone();
        shifted[0] = -1;
        assertEquals(0, m.matchPrefix(new BlockTable(), shifted, shifted.length));
    }

    @Test
    void alwaysLeavesTheLastTokenToCompute() {
        BlockManager m = new BlockManager(4, 4);
        int[] prompt = ids(8, 2);
        BlockTable a = new BlockTable();
        m.allocate(a, 8);
        m.registerFull(a, prompt, 8);
        assertEquals(4, m.matchPrefix(new BlockTable(), prompt, 8), "the block holding the last token is recomputed");
        assertEquals(8, m.matchPrefix(new BlockTable(), ids(9, 2), 9));
    }

    @Test
    void unreferencedCachedBlocksAreEvictedLeastRecentlyFreedFirst() {
        BlockManager m = new BlockManager(3, 2);
        int[] p = ids(5, 3), q = ids(5, 4);
        BlockTable a = new BlockTable(), b = new BlockTable();
        m.allocate(a, 5);
        m.registerFull(a, p, 5);
        m.release(a); // p's blocks: cached, unreferenced
        assertEquals(3, m.freeBlocks());
        assertEquals(4, m.matchPrefix(b, p, 5), "still cached after release");
        m.release(b);

        // q takes 3 blocks: the free list is consumed in LRU order, evicting p's cached blocks
        BlockTable c = new BlockTable();
        assertTrue(m.allocate(c, 5));
        m.registerFull(c, q, 4);
        assertEquals(0, m.matchPrefix(new BlockTable(), p, 5), "p was evicted");
        m.release(c);
        assertEquals(4, m.matchPrefix(new BlockTable(), q, 5));
    }

    @Test
    void evictionOrderPrefersTheTailOfAReleasedPrefix() {
        BlockManager m = new BlockManager(4, 2);
        int[] p = ids(7, 5);
        BlockTable a = new BlockTable();
        m.allocate(a, 7); // 4 blocks, all of them
        m.registerFull(a, p, 6); // 3 full blocks registered
        m.release(a);
        BlockTable b = new BlockTable();
        m.allocate(b, 2); // takes the last-block (uncached) first, then the tail of the prefix
        m.allocate(b, 6); // then the prefix's third and second blocks
        assertEquals(2, m.matchPrefix(new BlockTable(), p, 7), "the head of the prefix survives");
    }

    @Test
    void doubleReleaseIsDetected() {
        BlockManager m = new BlockManager(2, 2);
        BlockTable a = new BlockTable();
        m.allocate(a, 2);
        int block = a.block(0);
        BlockTable alias = new BlockTable();
        alias.add(block);
        m.release(a);
        assertThrows(IllegalStateException.class, () -> m.release(alias));
    }

    @Test
    void doubleReleaseThrowsBeforeTouchingAnyCount() {
        BlockManager m = new BlockManager(4, 2);
        BlockTable a = new BlockTable(), other = new BlockTable();
        m.allocate(a, 4); // blocks 0 and 1
        m.allocate(other, 2); // block 2, still held
        BlockTable stale = new BlockTable(); // holds a's second block and other's block: one released, one live
        stale.add(other.block(0));
        stale.add(a.block(1));
        m.release(a);
        int free = m.freeBlocks();
        assertThrows(IllegalStateException.class, () -> m.release(stale));
        assertEquals(0, m.refCount(stale.block(1)), "the released block's count is not driven below zero");
        assertEquals(1, m.refCount(other.block(0)), "the live block of the rejected table keeps its reference");
        assertEquals(free, m.freeBlocks());
        assertEquals(2, stale.size(), "a rejected release leaves the table as it was");
    }

    @Test
    void forkSharesEveryBlockAndCopiesTheLastPartialOneOnFirstWrite() {
        BlockManager m = new BlockManager(12, 4);
        int[] prompt = ids(10, 3); // blocks 0 and 1 full, block 2 holds positions 8 and 9 of 4
        BlockTable parent = new BlockTable();
        assertTrue(m.allocate(parent, 10));
        m.registerFull(parent, prompt, 10);
        BlockTable[] forks = {new BlockTable(), new BlockTable(), new BlockTable()};
        int freeBefore = m.freeBlocks();
        for (BlockTable fork : forks) m.fork(parent, fork);
        assertEquals(freeBefore, m.freeBlocks(), "a fork takes no block");
        for (int i = 0; i < 3; i++) {
            assertEquals(4, m.refCount(parent.block(i)), "parent and three forks hold block " + i);
            for (BlockTable fork : forks) assertEquals(parent.block(i), fork.block(i));
        }
        int partial = parent.block(2);

        // each writes position 10, in the shared partial block: the first three get a private copy, the last writes in place
        List<int[]> copies = new ArrayList<>();
        BlockTable[] all = {forks[0], forks[1], forks[2], parent};
        for (int k = 0; k < all.length; k++) {
            BlockTable t = all[k];
            assertTrue(m.allocate(t, 11), "position 10 is in an allocated block already");
            assertEquals(3, t.size());
            assertEquals(k < 3, m.isShared(t, 10));
            assertTrue(m.makeWritable(t, 10, 11, (from, to) -> copies.add(new int[] {from, to})));
            assertFalse(m.isShared(t, 10), "after the copy the block is the table's own");
            assertEquals(1, m.refCount(t.block(2)));
        }
        assertEquals(3, copies.size(), "n - 1 copies: the last holder keeps the original");
        for (int[] copy : copies) assertEquals(partial, copy[0]);
        assertEquals(partial, parent.block(2), "the last holder writes in place");
        assertEquals(freeBefore - 3, m.freeBlocks());
        // the full blocks stay shared (nobody writes there) and keep their prefix-cache registration
        assertEquals(4, m.refCount(parent.block(0)));
        assertTrue(m.isCached(parent.block(0)) && m.isCached(parent.block(1)));
        assertEquals(3 + 3, m.peakUsedBlocks(), "3 prompt blocks + 3 copies");

        // the children finish one by one: the shared blocks go back only when the last holder lets go
        m.release(forks[0]);
        m.release(forks[1]);
        assertEquals(2, m.refCount(parent.block(0)));
        m.release(parent);
        assertEquals(1, m.refCount(forks[2].block(0)));
        m.release(forks[2]);
        assertEquals(12, m.freeBlocks(), "no block leaked");
        for (int b = 0; b < 12; b++) assertEquals(0, m.refCount(b));
    }

    @Test
    void copyOnWriteNeedsAFreeBlockAndChangesNothingWithoutOne() {
        BlockManager m = new BlockManager(2, 4);
        BlockTable parent = new BlockTable(), fork = new BlockTable();
        assertTrue(m.allocate(parent, 6)); // both blocks
        m.fork(parent, fork);
        assertFalse(m.makeWritable(fork, 6, 7, (from, to) -> fail("no block to copy into")));
        assertEquals(2, m.refCount(parent.block(1)), "nothing changed");
        assertEquals(parent.block(1), fork.block(1));
        m.release(parent);
        assertTrue(m.makeWritable(fork, 6, 7, (from, to) -> fail("the last holder writes in place")));
        m.release(fork);
        assertEquals(2, m.freeBlocks());
    }

    @Test
    void aCopiedBlockHoldsTheSameKeysAndValuesInEveryLayer() {
        KvShape shape = new KvShape(3, 8);
        try (PagedKvCache kv = new PagedKvCache(shape, KvFormat.F32, 4, 3)) {
            float[] k = new float[8], v = new float[8];
            for (int layer = 0; layer < 3; layer++) {
                for (int slot = 0; slot < 2; slot++) {
                    for (int i = 0; i < 8; i++) {
                        k[i] = layer * 100 + slot * 10 + i + 1;
                        v[i] = -k[i];
                    }
                    kv.store(layer, 1, slot, k, 0, v, 0);
                }
            }
            kv.copyBlock(1, 2);
            for (int layer = 0; layer < 3; layer++) {
                for (int slot = 0; slot < 2; slot++) {
                    for (int i = 0; i < 8; i++) {
                        assertEquals(layer * 100 + slot * 10 + i + 1, kv.get(kv.keyOffset(layer, 2, slot), i));
                        assertEquals(-(layer * 100 + slot * 10 + i + 1), kv.get(kv.valueOffset(layer, 2, slot), i));
                    }
                }
            }
        }
    }
}
