package dev.parley.inference.kv;

import static org.junit.jupiter.api.Assertions.*;

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
}
