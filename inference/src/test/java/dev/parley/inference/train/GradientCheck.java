package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/** Central finite differences against an analytic gradient, on sampled entries of a float input. */
final class GradientCheck {
    private GradientCheck() {}

    static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * scale);
        return a;
    }

    /** L = Σ out·r, in double: a scalar whose gradient with respect to out is r. */
    static double weighted(float[] out, float[] r) {
        double s = 0;
        for (int i = 0; i < out.length; i++) s += (double) out[i] * r[i];
        return s;
    }

    /**
     * Checks {@code analytic[i]} ≈ (L(x+eps) − L(x−eps)) / 2eps for up to {@code samples} entries. Float32 forward
     * passes limit the agreement to about 1e-3 absolute on O(1) gradients, hence the tolerance.
     */
    static void check(String name, float[] input, float[] analytic, DoubleSupplier loss, int samples, float eps, double tol) {
        SplittableRandom rnd = new SplittableRandom(name.hashCode());
        int count = Math.min(samples, input.length);
        double worst = 0;
        for (int s = 0; s < count; s++) {
            int i = count == input.length ? s : rnd.nextInt(input.length);
            float saved = input[i];
            input[i] = saved + eps;
            double plus = loss.getAsDouble();
            input[i] = saved - eps;
            double minus = loss.getAsDouble();
            input[i] = saved;
            double numeric = (plus - minus) / (2.0 * eps);
            double err = Math.abs(numeric - analytic[i]) / Math.max(1.0, Math.abs(numeric));
            worst = Math.max(worst, err);
            assertTrue(err <= tol, name + "[" + i + "]: analytic " + analytic[i] + " vs numeric " + numeric);
        }
        assertTrue(worst <= tol, name + " worst error " + worst);
    }
}
