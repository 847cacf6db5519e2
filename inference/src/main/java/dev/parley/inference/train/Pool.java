package dev.parley.inference.train;

import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * A fixed pool for the trainer's data-parallel loops. Every index writes its own outputs and sums run in a fixed order,
 * so results do not depend on the number of threads.
 */
final class Pool {
    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, Runtime.getRuntime().availableProcessors()));

    private Pool() {}

    interface Range { void run(int from, int to); }

    /** Runs body over contiguous chunks of [0, n). */
    static void chunks(int n, Range body) {
        int chunks = Math.max(1, Math.min(POOL.getParallelism() * 4, n));
        if (POOL.getParallelism() == 1 || n < 2) { body.run(0, n); return; }
        int size = (n + chunks - 1) / chunks;
        int count = (n + size - 1) / size;
        POOL.submit(() -> IntStream.range(0, count).parallel().forEach(c -> body.run(c * size, Math.min(n, (c + 1) * size)))).join();
    }
}
