package dev.parley.inference.cli;

import dev.parley.inference.model.Parallel;
import dev.parley.inference.tensor.Simd;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The f32 fused multiply-add peak of this machine at the kernels' vector width, on the whole compute team: the physical
 * limit prefill and batched decode are reported against ({@code bench}), as the read bandwidth is for one sequence.
 * Each thread runs {@link #CHAINS} independent FMA chains, enough to cover the FMA latency times the FMA ports of
 * current cores (4 cycles x 2 ports), few enough to stay in 16 vector registers (AVX2).
 */
final class FmaPeak {
    private FmaPeak() {}

    private static final VectorSpecies<Float> FLOATS = Simd.FLOATS;
    static final int CHAINS = 12;
    /** Loop trips per call of {@link #chains}: short calls, so C2 compiles the method itself rather than an OSR loop. */
    private static final int TRIPS = 2048;
    /** Calls per thread per timed round: 12 x 2048 x 1000 FMAs, a few ms to tens of ms on current cores. */
    private static final int CALLS = 1000;
    static final int ROUNDS = 5;

    /** One probe's result: best GFLOP/s over the rounds, threads and vector bits it ran with. */
    record Result(double gflops, int threads, int bits) {
        String describe() {
            return String.format("%.1f GFLOP/s f32 FMA (%d threads, %s)", gflops, threads,
                    Simd.VECTORIZED ? bits + "-bit vectors" : "scalar");
        }
    }

    /** Best of {@link #ROUNDS} rounds of every team thread running the FMA loop at once, after a warm-up for C2. */
    static Result measure() {
        int threads = Parallel.threads();
        float[] sink = new float[threads];
        round(threads, CALLS * 3, sink); // compiles chains() (tier 4 after a few hundred calls) on every thread
        double best = 0;
        for (int r = 0; r < ROUNDS; r++) best = Math.max(best, round(threads, CALLS, sink));
        if (Arrays.toString(sink).hashCode() == 42) System.out.print(""); // keeps the chains' results alive
        return new Result(best, threads, Simd.BITS);
    }

    /** FLOP/s of one round: one contiguous share (one index) per thread, so no thread takes two while another waits. */
    private static double round(int threads, int calls, float[] sink) {
        long t0 = System.nanoTime();
        Parallel.forChunks(threads, 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                float acc = 0;
                for (int c = 0; c < calls; c++) acc += Simd.VECTORIZED ? chains(0.999f, 0.001f) : scalarChains(0.999f, 0.001f);
                sink[t] = acc;
            }
        });
        double secs = (System.nanoTime() - t0) / 1e9;
        double flops = 2.0 * CHAINS * TRIPS * (Simd.VECTORIZED ? FLOATS.length() : 1) * calls * threads;
        return flops / secs / 1e9;
    }

    /**
     * {@link #CHAINS} independent chains {@code a = a * m + c}, the accumulator as the multiplicand (the shape that reaches
     * the peak; a constant addend came out rematerialized before every FMA in one compile). Kept small and on its own so
     * C2 compiles it alone; m and c are arguments, not constants, for the same reason. Converges to c / (1 - m), no
     * overflow or denormals.
     */
    private static float chains(float mul, float add) {
        FloatVector m = FloatVector.broadcast(FLOATS, mul), c = FloatVector.broadcast(FLOATS, add);
        FloatVector a0 = c, a1 = c, a2 = c, a3 = c, a4 = c, a5 = c, a6 = c, a7 = c, a8 = c, a9 = c, a10 = c, a11 = c;
        for (int i = 0; i < TRIPS; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
            a10 = a10.fma(m, c);
            a11 = a11.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }

    /** The same chains on scalars, for a JVM whose vectors would run emulated (the kernels then run scalar too). */
    private static float scalarChains(float m, float c) {
        float a0 = c, a1 = c, a2 = c, a3 = c, a4 = c, a5 = c, a6 = c, a7 = c, a8 = c, a9 = c, a10 = c, a11 = c;
        for (int i = 0; i < TRIPS; i++) {
            a0 = Math.fma(a0, m, c);
            a1 = Math.fma(a1, m, c);
            a2 = Math.fma(a2, m, c);
            a3 = Math.fma(a3, m, c);
            a4 = Math.fma(a4, m, c);
            a5 = Math.fma(a5, m, c);
            a6 = Math.fma(a6, m, c);
            a7 = Math.fma(a7, m, c);
            a8 = Math.fma(a8, m, c);
            a9 = Math.fma(a9, m, c);
            a10 = Math.fma(a10, m, c);
            a11 = Math.fma(a11, m, c);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    }
}
