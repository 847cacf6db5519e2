package dev.parley.inference.sampling;

/**
 * Partial selection of the best-scoring token ids without sorting the vocabulary: a bounded min-heap over an
 * {@code int[]} whose root is the worst id kept so far, so each offer costs O(log m) and only beats the root get in.
 * "Better" means a higher logit, and on equal logits the lower id, which keeps results deterministic.
 */
final class TopHeap {
    private TopHeap() {}

    /**
     * Offers {@code id} to the heap {@code heap[0..size)} of capacity {@code capacity}; returns the new size.
     */
    static int offer(int[] heap, int size, int capacity, int id, float[] logits) {
        if (size < capacity) {
            heap[size] = id;
            siftUp(heap, size, logits);
            return size + 1;
        }
        if (isBetter(id, heap[0], logits)) {
            heap[0] = id;
            siftDown(heap, 0, size, logits);
        }
        return size;
    }

    /** Turns the heap {@code heap[0..size)} into a list ordered best first (an in-place heap sort). */
    static void sortBestFirst(int[] heap, int size, float[] logits) {
        for (int end = size - 1; end > 0; end--) {
            int worst = heap[0];
            heap[0] = heap[end];
            heap[end] = worst;
            siftDown(heap, 0, end, logits);
        }
    }

    /** Writes the {@code count} best ids of {@code pool[0..poolSize)} to {@code dest}, best first. */
    static void selectBest(int[] pool, int poolSize, int count, float[] logits, int[] dest) {
        int size = 0;
        for (int i = 0; i < poolSize; i++) size = offer(dest, size, count, pool[i], logits);
        sortBestFirst(dest, size, logits);
    }

    static boolean isBetter(int a, int b, float[] logits) {
        float la = logits[a];
        float lb = logits[b];
        return la > lb || (la == lb && a < b);
    }

    private static void siftUp(int[] heap, int index, float[] logits) {
        int id = heap[index];
        while (index > 0) {
            int parent = (index - 1) >>> 1;
            if (!isBetter(heap[parent], id, logits)) break;
            heap[index] = heap[parent];
            index = parent;
        }
        heap[index] = id;
    }

    private static void siftDown(int[] heap, int index, int size, float[] logits) {
        int id = heap[index];
        while (true) {
            int child = 2 * index + 1;
            if (child >= size) break;
            if (child + 1 < size && isBetter(heap[child], heap[child + 1], logits)) child++;
            if (!isBetter(id, heap[child], logits)) break;
            heap[index] = heap[child];
            index = child;
        }
        heap[index] = id;
    }
}
