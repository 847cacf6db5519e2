package dev.parley.inference.gguf;

import dev.parley.inference.tensor.GgmlType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes GGUF v3 files. Tensor bytes are produced by callbacks straight into the memory-mapped output, so multi-GB
 * synthetic models are written without holding weights on the heap.
 */
public final class GgufWriter {
    private record PendingTensor(String name, GgmlType type, long[] shape, long bytes, Consumer<MemorySegment> filler) {}

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private long alignment = GgufFile.DEFAULT_ALIGNMENT;
    private int version = 3;

    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value);
        if (key.equals("general.alignment")) alignment = (Long) value.value();
        return this;
    }

    public GgufWriter putAll(Map<String, GgufValue> values) {
        values.forEach(this::put);
        return this;
    }

    /** Writes version 2 instead of 3 (the layouts are identical; for compatibility tests). */
    public GgufWriter version(int version) {
        this.version = version;
        return this;
    }

    /** Adds a tensor whose bytes {@code filler} writes into the given segment (exactly the tensor's byte size). */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, Consumer<MemorySegment> filler) {
        long n = 1;
        for (long d : shape) n *= d;
        if (shape[0] % type.blockSize != 0) throw new IllegalArgumentException(name + ": row length " + shape[0] + " not a multiple of " + type.blockSize);
        tensors.add(new PendingTensor(name, type, shape.clone(), type.bytesFor(n), filler));
        return this;
    }

    /** Adds an F32 tensor from heap data (small tensors: norms, test models). */
    public GgufWriter addF32(String name, long[] shape, float[] values) {
        return addTensor(name, GgmlType.F32, shape, seg -> MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, values.length));
    }

    public void write(Path path) {
        byte[] header = header();
        long dataStart = GgufFile.alignUp(header.length, alignment);
        long size = dataStart;
        long[] offsets = new long[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            offsets[i] = size - dataStart;
            size = GgufFile.alignUp(size + tensors.get(i).bytes, alignment);
        }
        if (tensors.isEmpty()) size = header.length;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE); Arena arena = Arena.ofShared()) { // shared: fillers may write from several threads
            MemorySegment out = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            MemorySegment.copy(header, 0, out, ValueLayout.JAVA_BYTE, 0, header.length);
            // the header was written with placeholder offsets; patch them now
            for (int i = 0; i < tensors.size(); i++) {
                out.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), offsetPositions.get(i), offsets[i]);
                PendingTensor t = tensors.get(i);
                t.filler.accept(out.asSlice(dataStart + offsets[i], t.bytes));
            }
            out.force();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private final List<Long> offsetPositions = new ArrayList<>();

    private byte[] header() {
        LeBuffer b = new LeBuffer();
        b.i32(GgufFile.MAGIC);
        b.i32(version);
        b.i64(tensors.size());
        b.i64(metadata.size());
        metadata.forEach((k, v) -> {
            b.string(k);
            b.i32(v.type().id);
            b.value(v.type(), v.value());
        });
        offsetPositions.clear();
        for (PendingTensor t : tensors) {
            b.string(t.name);
            b.i32(t.shape.length);
            for (long d : t.shape) b.i64(d);
            b.i32(t.type.id);
            offsetPositions.add((long) b.size());
            b.i64(0);
        }
        return b.toByteArray();
    }

    /** Little-endian encoder for header values. */
    private static final class LeBuffer extends ByteArrayOutputStream {
        void i32(int v) { write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array(), 0, 4); }
        void i64(long v) { write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array(), 0, 8); }
        void i16(int v) { write(v & 0xff); write((v >>> 8) & 0xff); }

        void string(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            i64(bytes.length);
            write(bytes, 0, bytes.length);
        }

        void value(GgufValueType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> write((int) (long) (Long) v);
                case UINT16, INT16 -> i16((int) (long) (Long) v);
                case UINT32, INT32 -> i32((int) (long) (Long) v);
                case UINT64, INT64 -> i64((Long) v);
                case FLOAT32 -> i32(Float.floatToRawIntBits((Float) v));
                case FLOAT64 -> i64(Double.doubleToRawLongBits((Double) v));
                case BOOL -> write((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> array((GgufArray) v);
            }
        }

        void array(GgufArray a) {
            i32(a.elementType().id);
            int n = a.size();
            i64(n);
            switch (a.values()) {
                case long[] l -> { for (long x : l) value(a.elementType(), x); }
                case float[] f -> { for (float x : f) value(a.elementType(), x); }
                case double[] d -> { for (double x : d) value(a.elementType(), x); }
                case boolean[] z -> { for (boolean x : z) value(a.elementType(), x); }
                case String[] s -> { for (String x : s) string(x); }
                case GgufArray[] nested -> { for (GgufArray x : nested) array(x); }
                default -> throw new IllegalArgumentException("unsupported array values " + a.values().getClass());
            }
        }
    }
}
