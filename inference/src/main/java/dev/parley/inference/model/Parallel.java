package dev.parley.inference.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * A fixed team of worker threads, one per core besides the caller, that split index ranges with the caller.
 * A job is handed over by bumping a volatile epoch: no task objects, futures or queues per operation. Workers spin
 * between jobs (a forward pass issues them microseconds apart, and waking a parked thread costs tens of µs under a
 * hypervisor) and park after about a millisecond without work.
 *
 * <p>One job runs at a time. A call from a worker, or from inside a job on the calling thread, runs inline on that
 * thread, so nesting cannot deadlock; other threads wait for the running job to finish.
 */
public final class Parallel {
    /** Threads of the team, the caller included: system property {@value #THREADS_PROPERTY}, else one per core. */
    private static final int THREADS = Math.max(1, Integer.getInteger(Parallel.THREADS_PROPERTY, Runtime.getRuntime().availableProcessors()));
    /** Read once, when the team starts (the first forward pass); set it before that, e.g. with {@code -D}. */
    public static final String THREADS_PROPERTY = "parley.threads";
    private static final long SPIN_NANOS = 1_000_000;
    private static final ReentrantLock LOCK = new ReentrantLock();
    private static final Thread[] WORKERS = new Thread[THREADS - 1];
    /**
     * Per worker, 1 while it may be parked. Volatile accesses on both sides make the hand-off a Dekker pair: a worker
     * sets its flag and then re-reads the epoch; the caller bumps the epoch and then reads the flags. Volatile
     * accesses are totally ordered, so either the worker sees the new epoch and does not park, or the caller sees
     * the flag and unparks it. (A plain {@code boolean[]} published through one shared volatile flag, as before, gave
     * no such order for a second worker's flag: on a weakly ordered CPU a wake-up could be missed and the job hang.)
     */
    private static final AtomicIntegerArray PARKED = new AtomicIntegerArray(THREADS);

    // the current job: written by the caller before the epoch is bumped, read by workers after they see it
    private static volatile long epoch;
    private static int count, align;
    private static ChunkBody chunks;
    private static IntConsumer each;
    private static final AtomicInteger next = new AtomicInteger(), running = new AtomicInteger();
    private static volatile Throwable failure;

    static {
        for (int i = 0; i < WORKERS.length; i++) {
            int part = i + 1;
            WORKERS[i] = Thread.ofPlatform().daemon().name("parley-worker-" + part).unstarted(() -> work(part));
            WORKERS[i].start();
        }
    }

    private Parallel() {}

    /** The team's size, the calling thread included. */
    public static int threads() {
        return THREADS;
    }

    /** Runs body(i) for every i in [0, n); indices are claimed one at a time, for jobs of uneven cost. */
    public static void forEach(int n, IntConsumer body) {
        if (n <= 1 || inline()) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        LOCK.lock();
        try {
            each = body;
            chunks = null;
            count = n;
            next.set(0);
            run();
        } finally {
            each = null;
            LOCK.unlock();
        }
    }

    /**
     * Runs body(from, to) on one contiguous range of [0, n) per thread, range edges on multiples of {@code align}:
     * a contiguous range keeps the hardware prefetcher streaming, and aligned edges keep two threads' output rows
     * off one cache line.
     */
    public static void forChunks(int n, int align, ChunkBody body) {
        if (n <= align || inline()) {
            if (n > 0) body.run(0, n);
            return;
        }
        LOCK.lock();
        try {
            chunks = body;
            each = null;
            count = n;
            Parallel.align = align;
            run();
        } finally {
            chunks = null;
            LOCK.unlock();
        }
    }

    public interface ChunkBody {
        void run(int from, int to);
    }

    private static boolean inline() {
        if (THREADS == 1 || LOCK.isHeldByCurrentThread()) return true;
        Thread me = Thread.currentThread();
        for (Thread w : WORKERS) if (w == me) return true;
        return false;
    }

    /** Hands the job to the workers, does part 0 here, waits for the rest and rethrows the first failure. */
    private static void run() {
        failure = null;
        running.set(WORKERS.length);
        epoch++; // publishes the job fields above
        for (int i = 0; i < WORKERS.length; i++) if (PARKED.get(i + 1) != 0) LockSupport.unpark(WORKERS[i]);
        Throwable mine = null;
        try {
            part(0);
        } catch (Throwable t) {
            mine = t;
        }
        long start = System.nanoTime();
        while (running.get() > 0) {
            if (System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
            else Thread.yield(); // a worker lost its core to another process: let it run
        }
        Throwable t = mine != null ? mine : failure;
        if (t instanceof RuntimeException e) throw e;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
    }

    private static void part(int p) {
        if (each != null) {
            for (int i; (i = next.getAndIncrement()) < count; ) each.accept(i);
        } else {
            // equal shares rounded to the alignment; the last part takes the remainder
            int share = (count / THREADS + align - 1) / align * align;
            int from = Math.min(count, p * share), to = p == THREADS - 1 ? count : Math.min(count, from + share);
            if (from < to) chunks.run(from, to);
        }
    }

    private static void work(int p) {
        long seen = 0;
        while (true) {
            long idle = System.nanoTime();
            while (epoch == seen) {
                if (System.nanoTime() - idle < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                // park; the caller bumps the epoch before it reads PARKED, we set PARKED before we re-read the epoch
                PARKED.set(p, 1);
                if (epoch == seen) LockSupport.park(Parallel.class);
                PARKED.set(p, 0);
                idle = System.nanoTime();
            }
            seen = epoch;
            try {
                part(p);
            } catch (Throwable t) {
                failure = t;
            } finally {
                running.decrementAndGet();
            }
        }
    }
}
