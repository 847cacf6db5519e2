package dev.parley.inference.gguf;

import dev.parley.inference.tensor.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (v2 or v3) mapped read-only as one off-heap {@link MemorySegment}. The header, metadata and tensor infos
 * are parsed and validated on open; tensor data is never copied: {@link #tensorData} returns slices of the mapping.
 * Every problem becomes a {@link GgufException} naming the file and what is wrong.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" little-endian
    public static final int DEFAULT_ALIGNMENT = 32;
    /** ggml tensors have at most 4 dimensions. */
    public static final int MAX_DIMS = 4;

    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final Map<String, TensorInfo> tensors;
    private final long alignment;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment segment, int version, Map<String, GgufValue> metadata,
                     Map<String, TensorInfo> tensors, long alignment, long dataOffset) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.alignment = alignment;
        this.dataOffset = dataOffset;
    }

    /** Maps and validates the file. The caller closes it, which unmaps every tensor slice. */
    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment segment;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                segment = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            } catch (NoSuchFileException e) {
                throw new GgufException(path + ": no such file");
            } catch (IOException e) {
                throw new GgufException(path + ": cannot read: " + e.getMessage());
            }
            return parse(path, arena, segment);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static GgufFile parse(Path path, Arena arena, MemorySegment segment) {
        GgufReader r = new GgufReader(path, segment);
        if (segment.byteSize() < 4) throw r.error("file too small to be GGUF (" + segment.byteSize() + " bytes)");
        int magic = r.i32("magic");
        if (magic != MAGIC) throw r.error(String.format("not a GGUF file (magic 0x%08x, expected 0x%08x \"GGUF\")", magic, MAGIC));
        int version = r.i32("version");
        if (version == 1) throw r.error("GGUF version 1 is not supported (only 2 and 3)");
        if (version != 2 && version != 3) throw r.error("unsupported GGUF version " + Integer.toUnsignedString(version) + " (only 2 and 3)");
        long tensorCount = r.u64("tensor count");
        long kvCount = r.u64("metadata count");
        // Every tensor info takes at least 8+4+8+4+8 bytes, every key/value at least 8+4+1: reject counts the file cannot hold.
        if (tensorCount < 0 || tensorCount > r.remaining() / 32) throw r.error("tensor count " + Long.toUnsignedString(tensorCount) + " is larger than the file can hold");
        if (kvCount < 0 || kvCount > r.remaining() / 13) throw r.error("metadata count " + Long.toUnsignedString(kvCount) + " is larger than the file can hold");

        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String rawKey = r.string("metadata key #" + i);
            if (rawKey.isEmpty()) throw r.error("metadata key #" + i + " is empty");
            String key = GgufException.quote(rawKey); // as shown in messages
            long typeId = r.u32(key + " type");
            GgufValueType type = GgufValueType.fromId(typeId);
            if (type == null) throw r.error("key " + key + ": unknown value type " + typeId);
            GgufValue value = new GgufValue(type, r.value(key, type, 0));
            if (metadata.putIfAbsent(rawKey, value) != null) throw r.error("duplicate metadata key " + key);
        }

        long alignment = DEFAULT_ALIGNMENT;
        GgufValue al = metadata.get("general.alignment");
        if (al != null) {
            if (!al.type().isInteger()) throw r.error("key general.alignment: expected an integer, found " + al.type());
            alignment = (Long) al.value();
            if (alignment <= 0 || Long.bitCount(alignment) != 1 || alignment > (1 << 20)) throw r.error("key general.alignment: " + alignment + " is not a power of two up to 1 MiB");
        }

        record RawTensor(String name, long[] shape, GgmlType type, long relOffset) {}
        List<RawTensor> raw = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            String rawName = r.string("tensor #" + i + " name");
            // ggml's GGML_MAX_NAME: llama.cpp refuses longer tensor names too
            if (rawName.length() >= 64) throw r.error("tensor #" + i + " name '" + GgufException.quote(rawName) + "' is longer than 63 characters");
            String name = GgufException.quote(rawName);
            long nDims = r.u32("tensor " + name + " dimension count");
            if (nDims < 1 || nDims > MAX_DIMS) throw r.error("tensor " + name + ": " + nDims + " dimensions (1 to " + MAX_DIMS + " allowed)");
            long[] shape = new long[(int) nDims];
            for (int d = 0; d < nDims; d++) {
                shape[d] = r.u64("tensor " + name + " dimension " + d);
                if (shape[d] <= 0 || shape[d] > (1L << 40)) throw r.error("tensor " + name + ": dimension " + d + " is " + Long.toUnsignedString(shape[d]));
            }
            long typeId = r.u32("tensor " + name + " type");
            GgmlType type = GgmlType.fromId(typeId);
            if (type == null) throw r.error("tensor " + name + ": unknown tensor type " + typeId);
            long relOffset = r.u64("tensor " + name + " offset");
            raw.add(new RawTensor(rawName, shape, type, relOffset));
        }
        long dataOffset = alignUp(r.position(), alignment);
        if (tensorCount > 0 && dataOffset > segment.byteSize()) throw r.error("truncated: tensor data would start at " + dataOffset + " but the file has " + segment.byteSize() + " bytes");

        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (RawTensor t : raw) {
            long elements = 1;
            for (long d : t.shape) {
                elements = multiplyChecked(elements, d);
                if (elements < 0) throw r.error("tensor " + t.name + ": element count overflows");
            }
            if (t.shape[0] % t.type.blockSize != 0) throw r.error("tensor " + t.name + ": row length " + t.shape[0] + " is not a multiple of the " + t.type + " block size " + t.type.blockSize);
            long bytes = multiplyChecked(elements / t.type.blockSize, t.type.blockBytes);
            if (bytes < 0) throw r.error("tensor " + t.name + ": byte size overflows");
            if (t.relOffset < 0 || t.relOffset % alignment != 0) throw r.error("tensor " + t.name + ": offset " + Long.toUnsignedString(t.relOffset) + " is not a multiple of the alignment " + alignment);
            long start = dataOffset + t.relOffset;
            if (start < 0 || start > segment.byteSize() || bytes > segment.byteSize() - start)
                throw r.error("tensor " + t.name + ": data [" + Long.toUnsignedString(t.relOffset) + ", +" + bytes + ") lies outside the file (truncated or bad offset)");
            TensorInfo info = new TensorInfo(t.name, t.shape, t.type, start, bytes);
            if (tensors.putIfAbsent(t.name, info) != null) throw r.error("duplicate tensor name " + t.name);
        }
        List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort(Comparator.comparingLong(TensorInfo::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorInfo a = byOffset.get(i - 1), b = byOffset.get(i);
            if (a.offset() + a.byteSize() > b.offset()) throw r.error("tensors " + a.name() + " and " + b.name() + " overlap");
        }
        return new GgufFile(path, arena, segment, version, Collections.unmodifiableMap(metadata),
                Collections.unmodifiableMap(tensors), alignment, dataOffset);
    }

    private static long multiplyChecked(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    static long alignUp(long offset, long alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    public Path path() { return path; }
    public int version() { return version; }
    public long alignment() { return alignment; }
    public long dataOffset() { return dataOffset; }
    public long fileSize() { return segment.byteSize(); }
    public Map<String, GgufValue> metadata() { return metadata; }
    public Map<String, TensorInfo> tensors() { return tensors; }

    public TensorInfo tensor(String name) {
        return tensors.get(name);
    }

    /** The tensor's bytes, a slice of the mapping (valid until {@link #close}). */
    public MemorySegment tensorData(TensorInfo t) {
        return segment.asSlice(t.offset(), t.byteSize());
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    public GgufException error(String what) {
        return new GgufException(path + ": " + what);
    }

    private GgufValue require(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) throw error("missing required key " + key);
        return v;
    }

    public String getString(String key) {
        GgufValue v = require(key);
        if (!(v.value() instanceof String s)) throw error("key " + key + ": expected a string, found " + v.type());
        return s;
    }

    public String getString(String key, String fallback) {
        return has(key) ? getString(key) : fallback;
    }

    public long getLong(String key) {
        GgufValue v = require(key);
        if (!v.type().isInteger()) throw error("key " + key + ": expected an integer, found " + v.type());
        return (Long) v.value();
    }

    public long getLong(String key, long fallback) {
        return has(key) ? getLong(key) : fallback;
    }

    /** An integer that must fit a positive int (dimensions, counts). */
    public int getPositiveInt(String key) {
        long v = getLong(key);
        if (v <= 0 || v > Integer.MAX_VALUE) throw error("key " + key + ": value " + v + " out of range");
        return (int) v;
    }

    public float getFloat(String key) {
        GgufValue v = require(key);
        return switch (v.value()) {
            case Float f -> f;
            case Double d -> d.floatValue();
            case Long l -> l.floatValue();
            default -> throw error("key " + key + ": expected a number, found " + v.type());
        };
    }

    public float getFloat(String key, float fallback) {
        return has(key) ? getFloat(key) : fallback;
    }

    public boolean getBool(String key, boolean fallback) {
        if (!has(key)) return fallback;
        GgufValue v = metadata.get(key);
        if (!(v.value() instanceof Boolean b)) throw error("key " + key + ": expected a bool, found " + v.type());
        return b;
    }

    public GgufArray getArray(String key) {
        GgufValue v = require(key);
        if (!(v.value() instanceof GgufArray a)) throw error("key " + key + ": expected an array, found " + v.type());
        return a;
    }

    public String[] getStringArray(String key) {
        GgufArray a = getArray(key);
        if (!(a.values() instanceof String[] s)) throw error("key " + key + ": expected an array of strings, found an array of " + a.elementType());
        return s;
    }

    public float[] getFloatArray(String key) {
        GgufArray a = getArray(key);
        return switch (a.values()) {
            case float[] f -> f;
            case double[] d -> { float[] f = new float[d.length]; for (int i = 0; i < d.length; i++) f[i] = (float) d[i]; yield f; }
            default -> throw error("key " + key + ": expected an array of floats, found an array of " + a.elementType());
        };
    }

    public int[] getIntArray(String key) {
        GgufArray a = getArray(key);
        if (!(a.values() instanceof long[] l)) throw error("key " + key + ": expected an array of integers, found an array of " + a.elementType());
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) out[i] = (int) l[i];
        return out;
    }

    @Override public void close() {
        arena.close();
    }
}
