package dev.parley.inference.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Keys and values of one sequence, F32, off-heap: per layer a [capacity x kvDim] block of keys and one of values.
 * (The paged, shared cache of the serving engine replaces this per-sequence layout.)
 */
public final class KvCache implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] keys;
    private final MemorySegment[] values;
    private final int capacity;
    private final int kvDim;

    public KvCache(ModelConfig c, int capacity) {
        this.capacity = capacity;
        this.kvDim = c.kvDim();
        keys = new MemorySegment[c.layers()];
        values = new MemorySegment[c.layers()];
        long bytes = (long) capacity * kvDim * Float.BYTES;
        for (int l = 0; l < c.layers(); l++) {
            keys[l] = arena.allocate(bytes, 64);
            values[l] = arena.allocate(bytes, 64);
        }
    }

    public int capacity() { return capacity; }

    /** Stores the key and value rows of one position. */
    void store(int layer, int pos, float[] k, int kOffset, float[] v, int vOffset) {
        long off = (long) pos * kvDim * Float.BYTES;
        MemorySegment.copy(k, kOffset, keys[layer], ValueLayout.JAVA_FLOAT, off, kvDim);
        MemorySegment.copy(v, vOffset, values[layer], ValueLayout.JAVA_FLOAT, off, kvDim);
    }

    MemorySegment keys(int layer) { return keys[layer]; }
    MemorySegment values(int layer) { return values[layer]; }

    @Override public void close() {
        arena.close();
    }
}
