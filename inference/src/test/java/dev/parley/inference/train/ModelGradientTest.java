package dev.parley.inference.train;

import org.junit.jupiter.api.Test;

/** The whole model's backward pass (every parameter tensor) against finite differences on a tiny config. */
class ModelGradientTest {
    private static final float SCALE = 100f;

    @Test void wholeModel() {
        LlamaConfig c = new LlamaConfig(23, 16, 2, 4, 2, 24, 8);
        Llama model = new Llama(c, 3);
        TestWeights.randomize(model, 11);
        int b = 2, t = 6;
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        int[] tokens = new int[b * t], targets = new int[b * t];
        for (int i = 0; i < tokens.length; i++) { tokens[i] = rnd.nextInt(c.vocab()); targets[i] = rnd.nextInt(c.vocab()); }
        model.zeroGradients();
        model.loss(tokens, targets, b, t, true);
        for (Param p : model.params) {
            // scaled so the gradients are O(1) and the relative tolerance is not vacuous
            float[] analytic = p.g.clone();
            for (int i = 0; i < analytic.length; i++) analytic[i] *= SCALE;
            GradientCheck.check(p.name, p.w, analytic, () -> SCALE * model.loss(tokens, targets, b, t, false), 12, 1e-2f, 2e-2);
        }
    }
}
