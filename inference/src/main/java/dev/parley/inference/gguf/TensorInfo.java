package dev.parley.inference.gguf;

import dev.parley.inference.tensor.GgmlType;
import java.util.Arrays;

/**
 * A tensor described by a GGUF file. {@code shape} is ggml's {@code ne}: shape[0] is the contiguous (innermost)
 * dimension. {@code offset} is absolute in the file.
 */
public record TensorInfo(String name, long[] shape, GgmlType type, long offset, long byteSize) {
    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
