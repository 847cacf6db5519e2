package dev.parley.inference.gguf;

/**
 * One metadata value with its GGUF type. Scalars: integers as {@link Long}, FLOAT32 as {@link Float}, FLOAT64 as
 * {@link Double}, BOOL as {@link Boolean}, STRING as {@link String}; arrays as {@link GgufArray}.
 */
public record GgufValue(GgufValueType type, Object value) {
    public static GgufValue of(String s) { return new GgufValue(GgufValueType.STRING, s); }
    public static GgufValue u32(long v) { return new GgufValue(GgufValueType.UINT32, v); }
    public static GgufValue i32(long v) { return new GgufValue(GgufValueType.INT32, v); }
    public static GgufValue u64(long v) { return new GgufValue(GgufValueType.UINT64, v); }
    public static GgufValue f32(float v) { return new GgufValue(GgufValueType.FLOAT32, v); }
    public static GgufValue bool(boolean v) { return new GgufValue(GgufValueType.BOOL, v); }
    public static GgufValue strings(String... v) { return new GgufValue(GgufValueType.ARRAY, new GgufArray(GgufValueType.STRING, v)); }
    public static GgufValue floats(float... v) { return new GgufValue(GgufValueType.ARRAY, new GgufArray(GgufValueType.FLOAT32, v)); }
    public static GgufValue ints(GgufValueType elementType, long... v) { return new GgufValue(GgufValueType.ARRAY, new GgufArray(elementType, v)); }

    @Override public String toString() {
        if (value instanceof GgufArray a) return "[" + a.elementType() + " x " + a.size() + "]";
        return String.valueOf(value);
    }
}
