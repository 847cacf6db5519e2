package dev.parley.inference.jmh;

import dev.parley.inference.forge.SyntheticModel;
import dev.parley.inference.model.Parallel;
import dev.parley.inference.tensor.GgmlType;
import dev.parley.inference.tensor.QuantizedActivation;
import dev.parley.inference.tensor.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The weight kernels per format, on an 8192 x 2048 matrix (Llama-3.2-1B's gate/up projection: 17 MB in Q8_0, so
 * it streams from memory rather than sitting in L2): one row's {@code dot} on one thread, the whole matrix times one
 * activation row split over the compute team ({@code matvec}, decode of one sequence), and times {@code batch} rows
 * ({@code matmul}, batched decode and prefill; from 8 rows the folded formats use their f32 panel).
 * Run with {@code inference/jmh.sh} (arguments go to JMH, e.g. {@code KernelBench.matmul -p format=Q4_0 -p batch=16}).
 * Scores are ops/ms: divide matmul by batch for per-row figures, or multiply by the matrix bytes for GB/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBench {
    static final int ROWS = 8192, COLS = 2048;

    @Param({"F32", "F16", "Q8_0", "Q4_0", "Q6_K"}) public String format;
    @Param({"1", "4", "16"}) public int batch;

    private Arena arena;
    private WeightMatrix m;
    private QuantizedActivation[] xs;
    private float[] out;
    private int row;

    @Setup(Level.Trial) public void setUp() {
        GgmlType type = GgmlType.valueOf(format);
        arena = Arena.ofShared();
        MemorySegment data = arena.allocate((long) ROWS * type.bytesFor(COLS), 64);
        SyntheticModel.randomWeights(data, type, 42);
        m = WeightMatrix.of(type, data, ROWS, COLS);
        SplittableRandom rnd = new SplittableRandom(7);
        float[] x = new float[COLS];
        xs = new QuantizedActivation[batch];
        for (int t = 0; t < batch; t++) {
            for (int i = 0; i < COLS; i++) x[i] = (float) rnd.nextGaussian();
            xs[t] = new QuantizedActivation(COLS);
            xs[t].quantize(m.activationType(), x, 0, COLS);
        }
        out = new float[batch * ROWS];
    }

    @TearDown(Level.Trial) public void tearDown() {
        arena.close();
    }

    /** One row times one activation row, single-threaded; rows cycle so the weights stream. */
    @Benchmark public float dot() {
        row = (row + 1) % ROWS;
        return m.dot(row, xs[0]);
    }

    /** All rows times one activation row on the compute team. */
    @Benchmark public float[] matvec() {
        Parallel.forChunks(ROWS, 16, (from, to) -> m.matmul(xs, 1, out, ROWS, from, to));
        return out;
    }

    /** All rows times {@code batch} activation rows on the compute team. */
    @Benchmark public float[] matmul() {
        Parallel.forChunks(ROWS, 16, (from, to) -> m.matmul(xs, batch, out, ROWS, from, to));
        return out;
    }
}
