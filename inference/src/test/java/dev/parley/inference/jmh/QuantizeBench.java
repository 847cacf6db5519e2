package dev.parley.inference.jmh;

import dev.parley.inference.tensor.GgmlType;
import dev.parley.inference.tensor.QuantizedActivation;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Activation quantization, one row of {@code cols} floats to {@code format}, single-threaded: each matmul input row
 * of a prefill goes through it (110M: 768 and 2048 columns, 4 rows per layer and token). Scores are ns per row.
 * Run with {@code inference/jmh.sh QuantizeBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class QuantizeBench {
    @Param({"Q8_0", "Q8_1", "Q8_K"}) public String format;
    @Param({"768", "2048"}) public int cols;

    private GgmlType type;
    private float[] x;
    private QuantizedActivation qa;

    @Setup public void setUp() {
        type = GgmlType.valueOf(format);
        SplittableRandom rnd = new SplittableRandom(7);
        x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) rnd.nextGaussian();
        qa = new QuantizedActivation(cols);
    }

    @Benchmark public QuantizedActivation quantize() {
        qa.quantize(type, x, 0, cols);
        return qa;
    }
}
