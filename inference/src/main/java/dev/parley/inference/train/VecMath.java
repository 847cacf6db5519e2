package dev.parley.inference.train;

import dev.parley.inference.tensor.Simd;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The inner loops of the trainer's matmuls, on the Vector API at the width {@link Simd} chose (scalar without vectors). */
final class VecMath {
    private static final VectorSpecies<Float> S = Simd.FLOATS;

    private VecMath() {}

    /** Σ a[ao+i]·b[bo+i] for i in [0, n). */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0, bound = Simd.VECTORIZED ? S.loopBound(n) : 0;
        for (; i < bound; i += S.length())
            acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += a[ao + i] * b[bo + i];
        return sum;
    }

    /** y[yo+i] += alpha·x[xo+i] for i in [0, n). */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        int i = 0, bound = Simd.VECTORIZED ? S.loopBound(n) : 0;
        for (; i < bound; i += S.length())
            FloatVector.fromArray(S, x, xo + i).fma(va, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }
}
