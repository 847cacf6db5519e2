package dev.parley.inference.train;

import java.util.SplittableRandom;

/** Larger-than-init random weights, so tests see sharp attention and non-trivial logits. */
final class TestWeights {
    private TestWeights() {}

    static void randomize(Llama model, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Param p : model.params)
            for (int i = 0; i < p.w.length; i++)
                p.w[i] = p.isMatrix() ? (float) (rnd.nextGaussian() * 0.3) : (float) (1 + rnd.nextGaussian() * 0.2);
    }
}
