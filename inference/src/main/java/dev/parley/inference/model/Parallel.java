package dev.parley.inference.model;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/** Splits index ranges over a fixed pool sized to the machine's cores (no thread creation per operation). */
final class Parallel {
    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, Runtime.getRuntime().availableProcessors()));

    private Parallel() {}

    /** Runs body(i) for i in [0, n), in parallel when n is large enough to be worth it. */
    static void forEach(int n, IntConsumer body) {
        if (n <= 1 || POOL.getParallelism() == 1) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        POOL.submit(() -> IntStream.range(0, n).parallel().forEach(body)).join();
    }

    /** Runs body(from, to) over contiguous chunks of [0, n) — one chunk of rows per task keeps writes apart. */
    static void forChunks(int n, int minChunk, ChunkBody body) {
        int chunks = Math.max(1, Math.min(POOL.getParallelism() * 4, n / Math.max(1, minChunk)));
        int size = (n + chunks - 1) / chunks;
        forEach(chunks, c -> {
            int from = c * size, to = Math.min(n, from + size);
            if (from < to) body.run(from, to);
        });
    }

    interface ChunkBody {
        void run(int from, int to);
    }
}
