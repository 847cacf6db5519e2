package dev.parley.inference.gguf;

/**
 * A metadata array. {@code values} is a primitive Java array chosen by element type: {@code long[]} for every integer
 * type (unsigned values kept as their bit pattern), {@code float[]}, {@code double[]}, {@code boolean[]},
 * {@code String[]}, or {@code GgufArray[]} for arrays of arrays.
 */
public record GgufArray(GgufValueType elementType, Object values) {
    public int size() {
        return java.lang.reflect.Array.getLength(values);
    }
}
