package dev.parley.inference.kv;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The keys and values of all sequences in one off-heap arena, cut into fixed-size blocks of {@code blockSize}
 * positions. A block holds every layer: per layer a [blockSize x kvDim] key tile then the value tile, so a sequence's
 * memory is allocated and freed in one unit. Which block belongs to whom is the {@link BlockManager}'s business; this
 * class only stores and locates rows.
 */
public final class PagedKvCache implements AutoCloseable {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment memory;
    private final KvFormat format;
    private final int blockSize, layers, kvDim, blocks;
    private final long rowBytes, tileBytes, blockBytes;

    public PagedKvCache(KvShape shape, KvFormat format, int blockSize, int blocks) {
        if (blockSize < 1 || blocks < 1) throw new IllegalArgumentException("blockSize " + blockSize + ", blocks " + blocks);
        this.format = format;
        this.blockSize = blockSize;
        this.layers = shape.layers();
        this.kvDim = shape.kvDim();
        this.blocks = blocks;
        this.rowBytes = (long) kvDim * format.bytes;
        this.tileBytes = rowBytes * blockSize;
        this.blockBytes = tileBytes * 2 * layers;
        this.memory = arena.allocate(blockBytes * blocks, 64);
    }

    /** Bytes one block takes: what a memory budget is divided by. */
    public static long blockBytes(KvShape shape, KvFormat format, int blockSize) {
        return (long) shape.kvDim() * format.bytes * blockSize * 2 * shape.layers();
    }

    public KvFormat format() { return format; }
    public int blockSize() { return blockSize; }
    public int blocks() { return blocks; }
    public MemorySegment memory() { return memory; }

    /** Byte offset of the key row of (layer, block, slot); the value row is {@link #valueOffset}. */
    public long keyOffset(int layer, int block, int slot) {
        return (long) block * blockBytes + layer * 2L * tileBytes + slot * rowBytes;
    }

    public long valueOffset(int layer, int block, int slot) {
        return keyOffset(layer, block, slot) + tileBytes;
    }

    /** Stores one position's key and value rows (converted to the storage format). */
    public void store(int layer, int block, int slot, float[] k, int kOffset, float[] v, int vOffset) {
        long ko = keyOffset(layer, block, slot), vo = ko + tileBytes;
        if (format == KvFormat.F32) {
            MemorySegment.copy(k, kOffset, memory, F32, ko, kvDim);
            MemorySegment.copy(v, vOffset, memory, F32, vo, kvDim);
        } else {
            for (int i = 0; i < kvDim; i++) {
                memory.set(F16, ko + 2L * i, Float.floatToFloat16(k[kOffset + i]));
                memory.set(F16, vo + 2L * i, Float.floatToFloat16(v[vOffset + i]));
            }
        }
    }

    /** Copies every layer's keys and values of block {@code from} into block {@code to} (copy-on-write of a fork). */
    public void copyBlock(int from, int to) {
        if (from < 0 || from >= blocks || to < 0 || to >= blocks) throw new IndexOutOfBoundsException(from + " -> " + to);
        MemorySegment.copy(memory, (long) from * blockBytes, memory, (long) to * blockBytes, blockBytes);
    }

    /** Element {@code i} of the row at byte offset {@code rowOffset}, as a float. */
    public float get(long rowOffset, int i) {
        return format == KvFormat.F32
                ? memory.get(F32, rowOffset + 4L * i)
                : Float.float16ToFloat(memory.get(F16, rowOffset + 2L * i));
    }

    @Override public void close() {
        arena.close();
    }
}
