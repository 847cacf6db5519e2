package dev.parley.inference.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The team's park/unpark hand-off under stress: many short jobs, each issued right around the moment the workers give
 * up spinning and park (about 1 ms idle), with more workers than cores. A missed wake-up leaves a job waiting forever
 * for a parked worker, so the run is bounded and a hang fails the test. It runs in its own JVM, because the team's
 * size is fixed when {@link Parallel} is first used and this test needs several workers on any machine.
 *
 * <p>On x86 (total store order) the old hand-off, a plain {@code boolean[]} behind one shared volatile flag, did not
 * fail this test in practice: the missed wake-up it allowed needs a weakly ordered CPU (ARM) to show.
 */
class ParallelHandOffTest {
    static final int WORKERS = 3, JOBS = 1500;

    @Test
    void noWakeUpIsMissedWhenJobsArriveAsWorkersPark(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("stress.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "-D" + Parallel.THREADS_PROPERTY + "=" + (WORKERS + 1), Stress.class.getName()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(90, TimeUnit.SECONDS);
        if (!done) p.destroyForcibly().waitFor();
        String out = Files.readString(log);
        assertTrue(done, "a job never finished (a worker missed its wake-up): " + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("jobs " + JOBS), out);
    }

    /** The child JVM: JOBS jobs over every worker, each after an idle pause of 0.8 to 1.2 ms. */
    public static final class Stress {
        public static void main(String[] args) {
            if (Parallel.threads() != WORKERS + 1) throw new IllegalStateException("team of " + Parallel.threads());
            SplittableRandom rnd = new SplittableRandom(7);
            AtomicIntegerArray hits = new AtomicIntegerArray(WORKERS + 1);
            for (int job = 0; job < JOBS; job++) {
                Parallel.forChunks(WORKERS + 1, 1, (from, to) -> {
                    for (int i = from; i < to; i++) hits.incrementAndGet(i);
                });
                java.util.concurrent.locks.LockSupport.parkNanos(800_000 + rnd.nextInt(400_000));
            }
            for (int i = 0; i <= WORKERS; i++) if (hits.get(i) != JOBS) throw new IllegalStateException("part " + i + ": " + hits.get(i));
            System.out.println("jobs " + JOBS);
        }
    }
}
