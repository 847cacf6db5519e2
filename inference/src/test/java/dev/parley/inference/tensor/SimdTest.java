package dev.parley.inference.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.api.Test;

/**
 * The kernels' width is the machine's: run under {@code -XX:MaxVectorSize=32} (as CI does) a kernel species fixed at
 * 512 bits fails here, as it would fall back to the Vector API's Java emulation on an AVX2 machine.
 */
class SimdTest {
    @Test
    void kernelWidthIsTheJvmsPreferredOne() {
        int preferred = VectorShape.preferredShape().vectorBitSize();
        assertEquals(FloatVector.SPECIES_PREFERRED.vectorBitSize(), preferred);
        assertEquals(preferred >= 128, Simd.VECTORIZED, "vector kernels run exactly when the JVM has native vectors");
        if (Simd.VECTORIZED) {
            assertEquals(Math.min(preferred, 512), Simd.BITS);
            assertEquals(Simd.BITS / 32, Simd.LANES);
            assertEquals(Simd.LANES, Simd.INTS.length());
            assertEquals(Simd.LANES, Simd.SHORTS.length());
            assertEquals(Simd.LANES * Simd.BYTE_PARTS, Simd.BYTES.length());
            assertTrue(Simd.describe().startsWith(Simd.BITS + "-bit vectors, " + Simd.LANES + " float lanes"), Simd.describe());
        } else {
            assertTrue(Simd.describe().startsWith("scalar kernels"), Simd.describe());
        }
    }

    /** The expected width, when the build says which one it forced ({@code parley.expect.vector.bits}). */
    @Test
    void forcedWidthIsTheOneChosen() {
        String expected = System.getProperty("parley.expect.vector.bits");
        if (expected == null || expected.isEmpty()) return;
        assertEquals(Integer.parseInt(expected), Simd.VECTORIZED ? Simd.BITS : 0, Simd.describe());
    }
}
