package dev.parley.inference.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void chunksCoverTheRangeOnceOnAlignedEdges() {
        for (int n : new int[] {1, 15, 16, 17, 100, 2048, 2049}) {
            AtomicIntegerArray hits = new AtomicIntegerArray(n);
            Parallel.forChunks(n, 16, (from, to) -> {
                if (from % 16 != 0) throw new AssertionError("edge " + from);
                for (int i = from; i < to; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n=" + n + " i=" + i);
        }
    }

    @Test
    void nestedCallsFromInsideAJobRunInline() {
        AtomicIntegerArray hits = new AtomicIntegerArray(64 * 40);
        Parallel.forEach(64, i -> Parallel.forChunks(40, 4, (from, to) -> {
            for (int j = from; j < to; j++) hits.incrementAndGet(i * 40 + j);
        }));
        for (int i = 0; i < hits.length(); i++) assertEquals(1, hits.get(i));
    }

    @Test
    void concurrentCallersAndFailuresAreSafe() throws Exception {
        Thread[] callers = new Thread[3];
        AtomicIntegerArray sums = new AtomicIntegerArray(callers.length);
        for (int c = 0; c < callers.length; c++) {
            int me = c;
            callers[c] = Thread.ofPlatform().start(() -> {
                for (int k = 0; k < 2000; k++) Parallel.forEach(8, i -> sums.addAndGet(me, i));
            });
        }
        for (Thread t : callers) t.join();
        for (int c = 0; c < callers.length; c++) assertEquals(2000 * 28, sums.get(c));
        assertThrows(IllegalStateException.class, () -> Parallel.forChunks(1000, 16, (from, to) -> {
            if (to == 1000) throw new IllegalStateException("last chunk");
        }));
        AtomicIntegerArray after = new AtomicIntegerArray(1);
        Parallel.forEach(10, i -> after.incrementAndGet(0)); // the team still works after a failure
        assertEquals(10, after.get(0));
    }
}
