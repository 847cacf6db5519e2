package dev.parley.inference.tokenizer;

import java.util.Arrays;

/** A growable list of ints, to collect token ids (and grammar tables) without boxing. */
public final class IntList {
    private int[] values = new int[16];
    private int size;

    public void add(int v) {
        if (size == values.length) values = Arrays.copyOf(values, size * 2);
        values[size++] = v;
    }

    public void addAll(int[] vs) {
        for (int v : vs) add(v);
    }

    public int size() { return size; }

    public int get(int i) {
        return values[i];
    }

    /** Drops the elements from {@code newSize} on (a stack pop when it is {@code size() - 1}). */
    public void truncate(int newSize) {
        size = newSize;
    }

    public void clear() {
        size = 0;
    }

    public int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
