package dev.parley.inference.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A bounds-checked little-endian cursor over the header part of a mapped GGUF file. */
final class GgufReader {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Arrays of arrays nest; real files use depth 1, hostile ones could recurse until the stack overflows. */
    private static final int MAX_ARRAY_DEPTH = 8;
    /** Longest accepted string (a chat template or merges entry is far below this). */
    private static final long MAX_STRING_BYTES = 64L << 20;

    private final Path path;
    private final MemorySegment seg;
    private long pos;

    GgufReader(Path path, MemorySegment seg) {
        this.path = path;
        this.seg = seg;
    }

    long position() { return pos; }

    long remaining() { return seg.byteSize() - pos; }

    GgufException error(String what) {
        return new GgufException(path + ": " + what);
    }

    private void need(long n, String what) {
        if (n < 0 || n > remaining()) throw error("truncated while reading " + what + " at offset " + pos + " (need " + (n < 0 ? Long.toUnsignedString(n) : n) + " bytes, " + remaining() + " left)");
    }

    int i32(String what) {
        need(4, what);
        int v = seg.get(I32, pos);
        pos += 4;
        return v;
    }

    long u32(String what) {
        return Integer.toUnsignedLong(i32(what));
    }

    long u64(String what) {
        need(8, what);
        long v = seg.get(I64, pos);
        pos += 8;
        return v;
    }

    String string(String what) {
        long len = u64(what + " length");
        if (len < 0 || len > MAX_STRING_BYTES) throw error(what + ": string length " + Long.toUnsignedString(len) + " is too large");
        need(len, what);
        byte[] bytes = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
        pos += len;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    Object value(String key, GgufValueType type, int depth) {
        return switch (type) {
            case UINT8 -> { need(1, key); yield (long) Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, pos++)); }
            case INT8 -> { need(1, key); yield (long) seg.get(ValueLayout.JAVA_BYTE, pos++); }
            case UINT16 -> { need(2, key); long v = Short.toUnsignedInt(seg.get(I16, pos)); pos += 2; yield v; }
            case INT16 -> { need(2, key); long v = seg.get(I16, pos); pos += 2; yield v; }
            case UINT32 -> u32(key);
            case INT32 -> (long) i32(key);
            case UINT64, INT64 -> u64(key);
            case FLOAT32 -> Float.intBitsToFloat(i32(key));
            case FLOAT64 -> Double.longBitsToDouble(u64(key));
            case BOOL -> {
                need(1, key);
                byte b = seg.get(ValueLayout.JAVA_BYTE, pos++);
                if (b != 0 && b != 1) throw error("key " + key + ": invalid bool byte " + b);
                yield b == 1;
            }
            case STRING -> string("key " + key);
            case ARRAY -> array(key, depth);
        };
    }

    private GgufArray array(String key, int depth) {
        if (depth >= MAX_ARRAY_DEPTH) throw error("key " + key + ": arrays nested deeper than " + MAX_ARRAY_DEPTH);
        long typeId = u32(key + " array type");
        GgufValueType et = GgufValueType.fromId(typeId);
        if (et == null) throw error("key " + key + ": unknown array element type " + typeId);
        long n = u64(key + " array length");
        if (n < 0 || n > remaining() / et.minBytes) throw error("key " + key + ": array length " + Long.toUnsignedString(n) + " is larger than the file can hold");
        int count = (int) n;
        return switch (et) {
            case FLOAT32 -> { float[] a = new float[count]; for (int i = 0; i < count; i++) a[i] = Float.intBitsToFloat(i32(key)); yield new GgufArray(et, a); }
            case FLOAT64 -> { double[] a = new double[count]; for (int i = 0; i < count; i++) a[i] = Double.longBitsToDouble(u64(key)); yield new GgufArray(et, a); }
            case BOOL -> { boolean[] a = new boolean[count]; for (int i = 0; i < count; i++) a[i] = (Boolean) value(key, et, depth + 1); yield new GgufArray(et, a); }
            case STRING -> { String[] a = new String[count]; for (int i = 0; i < count; i++) a[i] = string("key " + key + "[" + i + "]"); yield new GgufArray(et, a); }
            case ARRAY -> { GgufArray[] a = new GgufArray[count]; for (int i = 0; i < count; i++) a[i] = array(key, depth + 1); yield new GgufArray(et, a); }
            default -> { long[] a = new long[count]; for (int i = 0; i < count; i++) a[i] = (Long) value(key, et, depth + 1); yield new GgufArray(et, a); }
        };
    }
}
